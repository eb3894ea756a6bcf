//! Gatehouse console: Leptos components, server functions and (behind `ssr`) the server-side
//! services they call. The `hydrate` entry point below is what the WASM bundle runs.
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
    // Pages are lazy routes (their code is in chunks loaded on demand), so hydration is
    // asynchronous: it waits for the chunks of the page on show.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        let Some(body) = leptos::prelude::document().body() else {
            return;
        };
        leptos::mount::hydrate_from_async(body.clone(), app::App)
            .await
            .forget();
        // From here on the page's handlers are attached: tests and the time-to-interactive
        // benchmark wait for this mark instead of guessing.
        let _ = body.set_attribute("data-hydrated", "true");
        leptos::prelude::request_idle_callback(|| leptos::task::spawn_local(app::prefetch_pages()));
    });
}
