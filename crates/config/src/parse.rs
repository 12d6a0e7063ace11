//! Parsers for option values. Each returns a short reason on failure; the caller wraps it in a
//! [`Problem`](crate::Problem) that names the option.

use std::time::Duration;

/// Parses `true/false`, `1/0`, `yes/no`, `on/off`, case-insensitively.
pub fn bool(text: &str) -> Result<bool, Option<String>> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(None),
    }
}

/// Parses a TCP port (0 is refused: the server must have a known address).
pub fn port(text: &str) -> Result<u16, Option<String>> {
    match text.trim().parse::<u16>() {
        Ok(0) | Err(_) => Err(None),
        Ok(p) => Ok(p),
    }
}

/// Parses a positive count.
pub fn count(text: &str) -> Result<u32, Option<String>> {
    match text.trim().parse::<u32>() {
        Ok(0) | Err(_) => Err(None),
        Ok(n) => Ok(n),
    }
}

/// Parses a size in bytes: a number, or a number with a unit (`KB`, `MB`, `GB`, `TB`, or the
/// same with `iB`; all powers of 1024, as operators usually mean them for upload limits).
pub fn bytes(text: &str) -> Result<u64, Option<String>> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| None)?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(Some(format!("unknown unit {unit:?}"))),
    };
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| Some("too large".into()))
}

/// Parses a duration: either units (`250ms`, `30s`, `15m`, `1h30m`, `7d`, `2w`) or a number of
/// milliseconds, possibly written as a product the way LibreChat's `.env` does
/// (`(1000 * 60 * 60 * 24) * 7`). With only multiplication, parentheses cannot change the
/// result, so they are checked for balance and otherwise ignored.
pub fn duration(text: &str) -> Result<Duration, Option<String>> {
    let text = text.trim();
    if text.is_empty() {
        return Err(None);
    }
    if text
        .chars()
        .all(|c| c.is_ascii_digit() || "*() \t".contains(c))
    {
        return millis_product(text).map(Duration::from_millis);
    }
    with_units(text)
}

fn millis_product(text: &str) -> Result<u64, Option<String>> {
    let mut depth = 0i32;
    for c in text.chars() {
        depth += match c {
            '(' => 1,
            ')' => -1,
            _ => 0,
        };
        if depth < 0 {
            return Err(Some("unbalanced parentheses".into()));
        }
    }
    if depth != 0 {
        return Err(Some("unbalanced parentheses".into()));
    }
    let flat: String = text.chars().filter(|c| !"() \t".contains(*c)).collect();
    flat.split('*').try_fold(1u64, |acc, factor| {
        let n: u64 = factor.parse().map_err(|_| None)?;
        acc.checked_mul(n)
            .ok_or_else(|| Some("too large".to_owned()))
    })
}

fn with_units(text: &str) -> Result<Duration, Option<String>> {
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(None);
        }
        let (number, tail) = rest.split_at(digits);
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let n: u64 = number.parse().map_err(|_| Some("too large".to_owned()))?;
        let ms_per_unit: u64 = match unit.trim() {
            "ms" => 1,
            "s" => 1_000,
            "m" | "min" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 604_800_000,
            _ => return Err(None),
        };
        let ms = n
            .checked_mul(ms_per_unit)
            .ok_or_else(|| Some("too large".to_owned()))?;
        total = total
            .checked_add(Duration::from_millis(ms))
            .ok_or_else(|| Some("too large".to_owned()))?;
        rest = tail;
    }
    Ok(total)
}

/// Parses a duration where a plain number means minutes (LibreChat's `*_WINDOW` variables).
pub fn minutes(text: &str) -> Result<Duration, Option<String>> {
    let text = text.trim();
    match text.parse::<u64>() {
        Ok(n) => n
            .checked_mul(60)
            .map(Duration::from_secs)
            .ok_or_else(|| Some("too large".into())),
        Err(_)
            if !text
                .chars()
                .all(|c| c.is_ascii_digit() || "*() \t".contains(c)) =>
        {
            with_units(text)
        }
        Err(_) => Err(None),
    }
}

/// Checks a `redis://` or `rediss://` URL.
pub fn redis_url(text: &str) -> Result<String, Option<String>> {
    let text = text.trim();
    if (text.starts_with("redis://") || text.starts_with("rediss://"))
        && text.len() > "redis://".len()
    {
        Ok(text.to_owned())
    } else {
        Err(None)
    }
}

/// Checks an `http(s)://` URL with a host and returns it without a trailing slash, so joining
/// paths onto it is uniform.
pub fn url(text: &str) -> Result<String, Option<String>> {
    let text = text.trim();
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or(None)?;
    if rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace) {
        return Err(Some("missing host".into()));
    }
    Ok(text.trim_end_matches('/').to_owned())
}

/// Checks a database URL's scheme.
pub fn database_url(text: &str) -> Result<String, Option<String>> {
    let text = text.trim();
    let (scheme, _) = text.split_once(':').ok_or(None)?;
    match scheme {
        "sqlite" | "postgres" | "postgresql" => Ok(text.to_owned()),
        other => Err(Some(format!("`{other}` is not supported"))),
    }
}

/// The days of the week, Monday first (a weekly time's day is its index here).
pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Parses a weekly time, `monday 08:00` (a weekday, or its first three letters, and a 24-hour
/// time): days from Monday and minutes from midnight.
pub fn weekly_time(text: &str) -> Result<(u32, u32), Option<String>> {
    let text = text.trim().to_ascii_lowercase();
    let (day, time) = text
        .split_once(char::is_whitespace)
        .ok_or_else(|| Some("expected a weekday and a time, like `monday 08:00`".to_owned()))?;
    let day = WEEKDAYS
        .iter()
        .position(|d| *d == day || (day.len() == 3 && d.starts_with(day)))
        .ok_or_else(|| Some(format!("`{day}` is not a weekday")))?;
    let bad_time = || {
        Some(format!(
            "`{}` is not a time from 00:00 to 23:59",
            time.trim()
        ))
    };
    let (hour, minute) = time.trim().split_once(':').ok_or_else(bad_time)?;
    let (hour, minute) = match (hour.parse::<u32>(), minute.parse::<u32>()) {
        (Ok(h), Ok(m)) if h < 24 && m < 60 && minute.len() == 2 => (h, m),
        _ => return Err(bad_time()),
    };
    Ok((u32::try_from(day).unwrap_or(0), hour * 60 + minute))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekly_times_name_a_day_and_a_time() {
        assert_eq!(weekly_time("monday 08:00").unwrap(), (0, 480));
        assert_eq!(weekly_time(" Sun 23:59 ").unwrap(), (6, 1439));
        assert_eq!(weekly_time("friday  7:05").unwrap(), (4, 425));
        for bad in [
            "monday",
            "someday 08:00",
            "monday 24:00",
            "monday 8:5",
            "mo 08:00",
            "08:00 monday",
        ] {
            assert!(weekly_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_take_binary_units() {
        assert_eq!(bytes("1024").unwrap(), 1024);
        assert_eq!(bytes("20MB").unwrap(), 20 << 20);
        assert_eq!(bytes("512 KiB").unwrap(), 512 << 10);
        assert_eq!(bytes("1gb").unwrap(), 1 << 30);
        assert!(bytes("12 parsecs").is_err());
        assert!(bytes("MB").is_err());
        assert!(bytes("99999999999TB").is_err());
    }

    #[test]
    fn durations_accept_units_and_librechat_products() {
        assert_eq!(duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(duration("900000").unwrap(), Duration::from_secs(900));
        assert_eq!(
            duration("1000 * 60 * 15").unwrap(),
            Duration::from_secs(900)
        );
        assert_eq!(
            duration("(1000 * 60 * 60 * 24) * 7").unwrap(),
            Duration::from_secs(7 * 86_400)
        );
        assert_eq!(duration("0").unwrap(), Duration::ZERO);
        for bad in [
            "soon",
            "",
            "15x",
            "m15",
            "(1000 * 60",
            "1000 ** 2",
            "99999999999999999999w",
        ] {
            assert!(duration(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn booleans_and_ports() {
        assert_eq!(bool("TRUE"), Ok(true));
        assert_eq!(bool("off"), Ok(false));
        assert!(bool("maybe").is_err());
        assert_eq!(port("3080"), Ok(3080));
        assert!(port("abc").is_err());
        assert!(port("0").is_err());
        assert!(port("70000").is_err());
    }

    #[test]
    fn minutes_default_to_minutes() {
        assert_eq!(minutes("5").unwrap(), Duration::from_secs(300));
        assert_eq!(minutes("90s").unwrap(), Duration::from_secs(90));
        assert!(minutes("soon").is_err());
        assert!(redis_url("redis://127.0.0.1:6379").is_ok());
        assert!(redis_url("http://x").is_err());
    }

    #[test]
    fn urls() {
        assert_eq!(
            url("https://chat.example.com/").unwrap(),
            "https://chat.example.com"
        );
        assert!(url("chat.example.com").is_err());
        assert!(url("http://").is_err());
        assert!(database_url("mysql://x").is_err());
        assert!(database_url("sqlite:./data/x.db").is_ok());
        assert!(database_url("postgres://u@h/db").is_ok());
    }
}
