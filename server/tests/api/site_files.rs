//! The site's files (the WebAssembly, scripts and styles under `/pkg`, the assets of
//! `public/`): their precompressed copies, and how long they may be cached.

use crate::helpers::*;
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, VARY};
use std::path::Path;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A site as a release build lays it out: content-hashed files in `pkg/`, each beside its
/// gzip and brotli copies (their bytes tell which copy was served), and an asset outside it.
fn release_site(root: &Path) {
    let pkg = root.join("pkg");
    std::fs::create_dir_all(pkg.join("snippets/frontend-1234/")).expect("pkg dir");
    for (name, content) in [
        ("roster.Xy3_hash.wasm", "\0asm plain"),
        ("roster.Xy3_hash.wasm.gz", "gzip copy"),
        ("roster.Xy3_hash.wasm.br", "brotli copy"),
        ("roster.Ab9_hash.js", "export {}"),
        ("snippets/frontend-1234/inline0.js", "export {}"),
    ] {
        std::fs::write(pkg.join(name), content).expect("a site file");
    }
    std::fs::write(root.join("favicon.ico"), "icon").expect("an asset");
    // cargo-leptos writes the hashes beside the binary, where Leptos reads them to link the
    // files; for this test the binary is the test executable.
    let binary_dir = std::env::current_exe().expect("the test binary").parent().expect("its folder").to_path_buf();
    // Written whole, then renamed: another test's server may be reading it.
    let hashes = tempfile::NamedTempFile::new_in(&binary_dir).expect("a temporary file");
    std::fs::write(hashes.path(), HASHES).expect("the hash file");
    hashes.persist(binary_dir.join("hash.txt")).expect("the hash file in place");
}

/// The hash file of [`release_site`].
const HASHES: &str = "js: Ab9_hash\nwasm: Xy3_hash\ncss: Cd1_hash\n";

/// GETs `path` from `app`, accepting `encoding`.
async fn get(app: &TestApp, path: &str, encoding: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}{path}", app.base))
        .header(ACCEPT_ENCODING, encoding)
        .send()
        .await
        .expect("request")
}

fn header<'a>(response: &'a reqwest::Response, name: reqwest::header::HeaderName) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn hashed_files_are_served_precompressed_and_cached_for_a_year() {
    let site = tempfile::tempdir().expect("a temporary site");
    release_site(site.path());
    let app = spawn_app_serving(site.path().to_str().expect("a UTF-8 path"), true).await;
    let wasm = "/pkg/roster.Xy3_hash.wasm";

    for (accepted, encoding, body) in
        [("br", Some("br"), "brotli copy"), ("gzip", Some("gzip"), "gzip copy"), ("identity", None, "\0asm plain")]
    {
        let response = get(&app, wasm, accepted).await;
        assert_eq!(response.status(), 200, "Accept-Encoding: {accepted}");
        assert_eq!(header(&response, CONTENT_ENCODING), encoding, "Accept-Encoding: {accepted}");
        assert_eq!(header(&response, CONTENT_TYPE), Some("application/wasm"), "Accept-Encoding: {accepted}");
        assert_eq!(header(&response, CACHE_CONTROL), Some(IMMUTABLE), "Accept-Encoding: {accepted}");
        assert!(
            response.headers().get_all(VARY).iter().any(|v| v.to_str().is_ok_and(|v| v.contains("accept-encoding"))),
            "Vary: Accept-Encoding, with Accept-Encoding: {accepted}"
        );
        assert_eq!(response.text().await.expect("a body"), body, "Accept-Encoding: {accepted}");
    }
    // A browser offering both gets one of the copies.
    let response = get(&app, wasm, "gzip, deflate, br, zstd").await;
    assert!(matches!(header(&response, CONTENT_ENCODING), Some("br" | "gzip")));
    // A file without copies is served as it is, still cached for good.
    let script = get(&app, "/pkg/roster.Ab9_hash.js", "br, gzip").await;
    assert_eq!((script.status().as_u16(), header(&script, CONTENT_ENCODING)), (200, None));
    assert_eq!(header(&script, CACHE_CONTROL), Some(IMMUTABLE));

    // What keeps its name when its content changes is checked again on every use.
    for path in ["/pkg/snippets/frontend-1234/inline0.js", "/favicon.ico"] {
        let response = get(&app, path, "br, gzip").await;
        assert_eq!((response.status().as_u16(), header(&response, CACHE_CONTROL)), (200, Some("no-cache")), "{path}");
    }
    // Pages and errors are never cached for good.
    for (path, status) in [("/login", 200), ("/pkg/roster.missing.wasm", 404), ("/nope", 404)] {
        let response = get(&app, path, "identity").await;
        assert_eq!(response.status(), status, "{path}");
        assert_ne!(header(&response, CACHE_CONTROL), Some(IMMUTABLE), "{path}");
    }
    // The pages link the files by their hashed names.
    let page = get(&app, "/login", "identity").await.text().await.expect("a page");
    for name in ["/pkg/roster.Ab9_hash.js", "/pkg/roster.Xy3_hash.wasm", "/pkg/roster.Cd1_hash.css"] {
        assert!(page.contains(name), "the page links {name}: {page}");
    }
}

#[tokio::test]
async fn a_release_build_beside_the_binary_turns_hashed_names_on() {
    let site = tempfile::tempdir().expect("a temporary site");
    release_site(site.path());
    let options = |root: &Path| {
        leptos::config::LeptosOptions::builder().output_name("roster").site_root(root.to_str().expect("UTF-8")).build()
    };
    assert!(server::web::detect_hashed_site(options(site.path())).hash_files);
    // A hash file left over from another build, whose files this site does not have.
    let other_site = tempfile::tempdir().expect("another site");
    assert!(!server::web::detect_hashed_site(options(other_site.path())).hash_files);
}

#[tokio::test]
async fn without_hashed_names_the_files_are_checked_again_on_every_use() {
    let site = tempfile::tempdir().expect("a temporary site");
    release_site(site.path());
    let app = spawn_app_serving(site.path().to_str().expect("a UTF-8 path"), false).await;
    let response = get(&app, "/pkg/roster.Xy3_hash.wasm", "gzip").await;
    assert_eq!(header(&response, CONTENT_ENCODING), Some("gzip"));
    assert_eq!(header(&response, CACHE_CONTROL), Some("no-cache"));
}
