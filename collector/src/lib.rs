pub mod enrich;
pub mod salt;
pub mod import;
