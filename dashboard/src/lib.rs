//! EMC dashboard library (pages, API, reports arrive with the dashboard issue).
