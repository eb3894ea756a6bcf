//! What an island starts from: what the server hands it in the island's own markup (instead of
//! island props), and what the user typed before it hydrated.
//!
//! `#[island]` props reach the browser as JSON that the island parses with `serde_json` (the
//! macro's choice, not ours), and that put a whole JSON parser into the WASM of every page with
//! such an island (≈ 8 KiB gzip; docs/benchmarks.md). A string in a `data-` attribute costs
//! nothing to read.
//!
//! An island gets such a value with [`handed_over`] — on the server from the request (context,
//! query), in the browser from the attribute — and writes it as `data-<key>` on the element with
//! id `id` in its own markup, so that both sides render the same.

/// The island value `key`: on the server `on_server()`; in the browser the `data-{key}`
/// attribute of the element with id `id`, which the server rendered (empty if missing).
pub fn handed_over(id: &str, key: &str, on_server: impl FnOnce() -> String) -> String {
    #[cfg(feature = "hydrate")]
    {
        let _ = on_server;
        let value = leptos::prelude::document()
            .get_element_by_id(id)
            .and_then(|element| element.get_attribute(&format!("data-{key}")));
        // A missing attribute is a bug in the island's markup: it would hydrate with a value the
        // server did not render with.
        #[cfg(debug_assertions)]
        if value.is_none() {
            leptos::logging::warn!("island value #{id}[data-{key}] is not in the page");
        }
        value.unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (id, key);
        on_server()
    }
}

/// What the user typed into the field with id `id` before its island hydrated: in the browser
/// the field's value, on the server nothing. An island starts the field's signal from it, so
/// hydration (which sets the field from that signal) keeps the text instead of clearing it.
pub fn typed_so_far(id: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        leptos::prelude::document()
            .get_element_by_id(id)
            .and_then(|field| js_sys::Reflect::get(&field, &"value".into()).ok())
            .and_then(|value| value.as_string())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = id;
        String::new()
    }
}
