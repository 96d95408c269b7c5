//! Visitors: visitor `i` of a run is a fixed (client address, browser, screen) computed from
//! `i` and the run's salt, never stored. Addresses are Vietnamese (IPv4 blocks and IPv6 /32s)
//! and distinct for every `i` of one run (up to [`Population::MAX`]; IPv6 visitors each in a
//! /64 of their own, the unit the collector's rate limit counts), so the collector's
//! visitor id (a hash of site, address and user agent) is distinct exactly when the generator's
//! visitor is; a new salt gives another run other addresses.
use super::catalog::{
    UaEntry, DESKTOP_WIDTHS, IPV4_BLOCKS, IPV6_PREFIXES, MOBILE_WIDTHS, USER_AGENTS,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One visitor as the collector sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visitor {
    pub ip: IpAddr,
    pub ua: &'static UaEntry,
    pub screen_width: u16,
}

/// An odd multiplier coprime with the IPv4 pool size (2^18·45), so `k ↦ k·STRIDE + offset`
/// walks the pool without repeating.
const STRIDE: u64 = 7_368_787;

#[derive(Debug, Clone)]
pub struct Population {
    salt: u64,
    ua_total: u32,
    v4_pool: u64,
}

/// SplitMix64: a cheap, well-mixed hash of one word.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Population {
    /// Distinct addresses are guaranteed for visitor numbers below this.
    pub const MAX: u64 = 19_000_000;

    pub fn new(salt: u64) -> Self {
        let v4_pool = IPV4_BLOCKS.iter().map(|(_, p)| 1u64 << (32 - p)).sum();
        Population {
            salt,
            ua_total: USER_AGENTS.iter().map(|u| u.weight).sum(),
            v4_pool,
        }
    }

    pub fn visitor(&self, i: u64) -> Visitor {
        let h = mix(self.salt ^ mix(i));
        let ua = self.pick_ua(h);
        let widths = if ua.mobile {
            MOBILE_WIDTHS
        } else {
            DESKTOP_WIDTHS
        };
        let screen_width = widths[((h >> 40) % widths.len() as u64) as usize];
        Visitor {
            ip: self.address(i),
            ua,
            screen_width,
        }
    }

    /// Two visitors in five on IPv6 (as Vietnamese mobile networks are), the rest on IPv4.
    pub fn address(&self, i: u64) -> IpAddr {
        let (group, slot) = (i / 5, i % 5);
        if slot < 2 {
            // Each visitor its own /64 (as a subscriber line has): the 32 bits after the ISP's
            // /32 walk with the visitor number, shifted by the salt; the interface id is random.
            let m = group * 2 + slot;
            let [a, b] = IPV6_PREFIXES[(m % IPV6_PREFIXES.len() as u64) as usize];
            let net = (m as u32).wrapping_add((self.salt >> 32) as u32);
            let iid = mix(self.salt ^ m);
            let seg = |x: u64, shift: u32| ((x >> shift) & 0xffff) as u16;
            IpAddr::V6(Ipv6Addr::new(
                a,
                b,
                (net >> 16) as u16,
                net as u16,
                seg(iid, 48),
                seg(iid, 32),
                seg(iid, 16),
                seg(iid, 0),
            ))
        } else {
            let k = group * 3 + (slot - 2);
            let mut idx = (k.wrapping_mul(STRIDE) + self.salt) % self.v4_pool;
            for (base, prefix) in IPV4_BLOCKS {
                let size = 1u64 << (32 - prefix);
                if idx < size {
                    return IpAddr::V4(Ipv4Addr::from(u32::from_be_bytes(*base) + idx as u32));
                }
                idx -= size;
            }
            unreachable!("the index is reduced modulo the pool size")
        }
    }

    fn pick_ua(&self, h: u64) -> &'static UaEntry {
        let mut x = (h % u64::from(self.ua_total)) as u32;
        for ua in USER_AGENTS {
            if x < ua.weight {
                return ua;
            }
            x -= ua.weight;
        }
        &USER_AGENTS[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_stride_walks_the_whole_pool() {
        let pool: u64 = IPV4_BLOCKS.iter().map(|(_, p)| 1u64 << (32 - p)).sum();
        let gcd = |mut a: u64, mut b: u64| {
            while b != 0 {
                (a, b) = (b, a % b);
            }
            a
        };
        assert_eq!(gcd(pool, STRIDE), 1);
    }

    #[test]
    fn addresses_are_distinct_vietnamese_and_depend_on_the_salt() {
        let pop = Population::new(42);
        let mut seen = HashSet::new();
        let mut nets = HashSet::new();
        let mut v6 = 0;
        for i in 0..200_000 {
            let ip = pop.address(i);
            assert!(seen.insert(ip), "visitor {i} repeats {ip}");
            match ip {
                IpAddr::V4(v4) => {
                    let n = u32::from(v4);
                    assert!(
                        IPV4_BLOCKS
                            .iter()
                            .any(|(b, p)| n >> (32 - p) == u32::from_be_bytes(*b) >> (32 - p)),
                        "{v4}"
                    );
                }
                IpAddr::V6(a) => {
                    v6 += 1;
                    assert!(nets.insert(u128::from(a) >> 64), "one /64 per visitor: {a}");
                    assert!(
                        IPV6_PREFIXES.iter().any(|p| a.segments()[..2] == p[..]),
                        "{a}"
                    );
                }
            }
        }
        assert_eq!(v6, 80_000, "two in five on IPv6");
        assert_ne!(Population::new(43).address(7), pop.address(7));
        assert_eq!(
            Population::new(42).visitor(7),
            pop.visitor(7),
            "a visitor is a pure function of (salt, i)"
        );
    }

    #[test]
    fn browsers_follow_their_weights() {
        let pop = Population::new(1);
        let mobile = (0..10_000).filter(|&i| pop.visitor(i).ua.mobile).count();
        assert!(
            (6_000..8_000).contains(&mobile),
            "about 70% mobile, got {mobile}"
        );
    }
}
