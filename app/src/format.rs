//! Formatting of wire timestamps for people.
//!
//! These are pure functions of the ISO-8601 UTC string, so the server and the browser render
//! the same text and hydration never sees a difference.

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `2026-11-24T06:12:30.000Z` → `24 Nov 2026`.
pub fn date(iso: &str) -> String {
    let parts = (iso.get(0..4), iso.get(5..7).and_then(|m| m.parse::<usize>().ok()), iso.get(8..10));
    match parts {
        (Some(year), Some(month @ 1..=12), Some(day)) => {
            format!("{} {} {year}", day.trim_start_matches('0'), MONTHS[month - 1])
        }
        _ => iso.to_owned(),
    }
}

/// `2026-11-24T06:12:30.000Z` → `24 Nov 2026, 06:12 UTC`.
pub fn date_time(iso: &str) -> String {
    match iso.get(11..16) {
        Some(time) => format!("{}, {time} UTC", date(iso)),
        None => date(iso),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_short_and_unambiguous() {
        assert_eq!(date("2026-11-04T06:12:30.000Z"), "4 Nov 2026");
        assert_eq!(date_time("2026-01-24T16:02:30.000Z"), "24 Jan 2026, 16:02 UTC");
        assert_eq!(date("garbage"), "garbage");
    }
}
