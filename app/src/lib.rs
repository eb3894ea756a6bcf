//! Gatehouse console: Leptos components, server functions and (behind `ssr`) the server-side
//! services they call. The `hydrate` entry point below is what the WASM bundle runs.
//!
//! The console is built in Leptos' islands mode: pages are HTML from the server, and only the
//! components marked `#[island]` (the interactive parts: forms, dialogs, lists that change after
//! an action) are compiled to WASM and hydrated. Following a link loads the next page.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
// Leptos views are deeply nested types; the release WASM build (the keys page) needs more than
// the default 128 levels to compute their layouts.
#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod components;
pub mod error;
pub mod model;
pub mod pages;
pub mod urls;
pub mod wire;

#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Sets up the reactive root; Leptos' island script then hydrates each `<leptos-island>` in
    // document order, fetching a lazy island's chunks first. The last island of every console
    // page that has islands (the toast region) marks the page interactive.
    leptos::mount::hydrate_islands();
}
