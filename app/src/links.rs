//! Links to pages whose state lives in the URL query: reading that state back, and writing
//! it the way the browser would, so the server and the browser build identical links.

use crate::model::Page;
use leptos_router::params::ParamsMap;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The page sizes a list offers; the first is the default.
pub const PAGE_SIZES: [u32; 4] = [10, 25, 50, 100];

/// The characters `encodeURIComponent` escapes.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// A query value, trimmed; `None` when absent or blank.
pub fn param(params: &ParamsMap, key: &str) -> Option<String> {
    params.get(key).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty())
}

/// The list position in the query (`limit`, `after`, `before`), in the given order; a size
/// the list does not offer falls back to `default_limit`.
pub fn page_from(params: &ParamsMap, default_limit: u32, order: crate::model::Order) -> Page {
    let limit = param(params, "limit").and_then(|v| v.parse().ok()).filter(|v| PAGE_SIZES.contains(v));
    Page {
        limit: limit.unwrap_or(default_limit),
        after: param(params, "after"),
        before: param(params, "before"),
        order,
    }
}

/// Adds a list position to a link's query: the size unless it is the default, and the cursor.
pub fn push_page(pairs: &mut Vec<(&'static str, String)>, page: &Page, default_limit: u32) {
    if page.limit != default_limit {
        pairs.push(("limit", page.limit.to_string()));
    }
    pairs.extend(page.after.clone().map(|after| ("after", after)));
    pairs.extend(page.before.clone().map(|before| ("before", before)));
}

/// `path` with `pairs` as its query, each value escaped as `encodeURIComponent` does.
pub fn href(path: &str, pairs: &[(&str, String)]) -> String {
    let query = pairs
        .iter()
        .map(|(key, value)| format!("{key}={}", utf8_percent_encode(value, COMPONENT)))
        .collect::<Vec<_>>()
        .join("&");
    if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Order;

    #[test]
    fn links_escape_like_the_browser_and_read_back() {
        let page = Page { limit: 50, after: Some("user_01".into()), before: None, order: Order::Desc };
        let mut pairs = vec![("q", "Ada & Bob (x)".to_owned())];
        push_page(&mut pairs, &page, PAGE_SIZES[0]);
        let link = href("/users", &pairs);
        assert_eq!(link, "/users?q=Ada%20%26%20Bob%20(x)&limit=50&after=user_01");
        let params =
            ParamsMap::from_iter([("limit".to_owned(), "50".to_owned()), ("after".to_owned(), " user_01 ".to_owned())]);
        assert_eq!(page_from(&params, PAGE_SIZES[0], Order::Desc), page);
        let odd = ParamsMap::from_iter([("limit".to_owned(), "7".to_owned())]);
        assert_eq!(page_from(&odd, 25, Order::Desc).limit, 25);
        assert_eq!(href("/orgs", &[]), "/orgs");
    }
}
