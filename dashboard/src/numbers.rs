//! Digit grouping for figures shown to people: `1234567` → `1.234.567` (Vietnamese) or
//! `1,234,567` (English). One definition for pages, the map and the emailed reports.

/// `n` with `sep` between each group of three digits.
pub fn group_digits(n: u64, sep: char) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// A signed figure grouped the same way, the sign kept in front.
pub fn group_digits_signed(n: i64, sep: char) -> String {
    let grouped = group_digits(n.unsigned_abs(), sep);
    if n < 0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_three() {
        assert_eq!(group_digits(0, '.'), "0");
        assert_eq!(group_digits(999, '.'), "999");
        assert_eq!(group_digits(1000, '.'), "1.000");
        assert_eq!(group_digits(1234567, ','), "1,234,567");
        assert_eq!(group_digits_signed(-1234, '.'), "-1.234");
        assert_eq!(
            group_digits_signed(i64::MIN, '.'),
            "-9.223.372.036.854.775.808"
        );
    }
}
