-- Site search (Matomo's `search`, `search_cat`, `search_count`, the tag's `trackSiteSearch`,
-- and page URLs carrying one of the site's search parameters): a hit named `site_search`,
-- not a page view, with its keyword, category and result count (NULL: not reported).
-- 18.16 has no `ADD COLUMN IF NOT EXISTS`: the runner treats "column already exists"
-- of an `ALTER TABLE … ADD COLUMN` as done.
ALTER TABLE events ADD COLUMN search_keyword String DEFAULT '';
ALTER TABLE events ADD COLUMN search_category String DEFAULT '';
ALTER TABLE events ADD COLUMN search_count Nullable(UInt32);
-- The query parameters that make a page view a site search on this site; empty: Matomo's
-- defaults (q, query, s, search, searchword, k, keyword).
ALTER TABLE sites ADD COLUMN search_params Array(String);
