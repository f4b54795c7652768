//! The request the `SharedEngine` benches score: a browser-like head.

/// A browser-like request head.
pub fn request() -> hyper::http::request::Parts {
    let request = hyper::Request::get("http://127.0.0.1/shop/item/42?ref=home")
        .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131")
        .header("accept", "text/html")
        .header("accept-language", "en-GB,en;q=0.9")
        .header("cookie", "session=abc; theme=dark")
        .body(())
        .unwrap();
    request.into_parts().0
}
