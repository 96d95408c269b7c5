//! Looks addresses up in geo databases the way the collector does:
//! `cargo run -p emc-collector --example geo_lookup -- DB[,DB…] IP…`
use emc_collector::enrich::geo::GeoDb;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dbs = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: geo_lookup DB[,DB…] IP…"))?;
    let paths: Vec<std::path::PathBuf> = dbs.split(',').map(Into::into).collect();
    let geo = GeoDb::open(&paths)?;
    for ip in args {
        let info = geo.lookup(ip.parse()?);
        println!(
            "{ip}\t{}\t{}\t{}",
            info.country_code, info.region, info.city
        );
    }
    Ok(())
}
