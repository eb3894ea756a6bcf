//! How the console's data crosses the wire: JSON, written by `serde_json` on the server and read
//! in the browser by the browser's own `JSON.parse` plus `serde-wasm-bindgen`.
//!
//! Reading JSON with `serde_json` inside the WASM costs a parser monomorphised into every result
//! type (≈ 4–6 KiB of code per type, 30+ types); `serde-wasm-bindgen` walks the object the
//! browser already parsed and is a fraction of that. The bytes on the wire are the same JSON
//! either way, so nothing outside the console (the HTTP API, the CLI, the SDK) changes.
//!
//! One codec serves three places: server-function results (`output = Json` on `#[server]`),
//! [`AppError`](crate::error::AppError) (its `FromServerFnError::Encoder`), and the resources'
//! serialisation into the server-rendered page ([`Resource`](leptos::prelude::Resource) with
//! codec [`Wire`]).
use leptos::prelude::Resource;
use leptos::server_fn::codec::Post;
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::{de::DeserializeOwned, Serialize};

/// The JSON codec described in the module documentation.
pub struct Wire;

/// `#[server(output = Json)]`: results as JSON in the response body.
pub type Json = Post<Wire>;

/// `Resource::new` with the [`Wire`] codec: the value the server loaded is serialised into the
/// page as JSON and read back during hydration without a request.
#[track_caller]
pub fn resource<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T, Wire>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    S: PartialEq + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

/// A failure to encode or decode; the message is what the underlying library said.
#[derive(Debug)]
pub struct WireError(String);

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    use super::*;

    pub fn to_string<T: Serialize>(value: &T) -> Result<String, WireError> {
        serde_json::to_string(value).map_err(|e| WireError(e.to_string()))
    }

    pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, WireError> {
        serde_json::from_str(text).map_err(|e| WireError(e.to_string()))
    }
}

#[cfg(feature = "hydrate")]
mod imp {
    use super::*;

    fn js_error(e: wasm_bindgen::JsValue) -> WireError {
        WireError(e.as_string().unwrap_or_else(|| "invalid JSON".to_string()))
    }

    /// Unused in the browser (it only reads), but the codec traits ask for both directions.
    pub fn to_string<T: Serialize>(value: &T) -> Result<String, WireError> {
        let value = serde_wasm_bindgen::to_value(value).map_err(|e| WireError(e.to_string()))?;
        js_sys::JSON::stringify(&value)
            .map(String::from)
            .map_err(js_error)
    }

    pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, WireError> {
        let value = js_sys::JSON::parse(text).map_err(js_error)?;
        serde_wasm_bindgen::from_value(value).map_err(|e| WireError(e.to_string()))
    }
}

impl ContentType for Wire {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for Wire {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for Wire {
    type Error = WireError;

    fn encode(value: &T) -> Result<Bytes, WireError> {
        imp::to_string(value).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for Wire {
    type Error = WireError;

    fn decode(bytes: Bytes) -> Result<T, WireError> {
        let text = std::str::from_utf8(&bytes).map_err(|e| WireError(e.to_string()))?;
        imp::from_str(text)
    }
}

impl<T: Serialize> codee::Encoder<T> for Wire {
    type Error = WireError;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, WireError> {
        imp::to_string(value)
    }
}

impl<T: DeserializeOwned> codee::Decoder<T> for Wire {
    type Error = WireError;
    type Encoded = str;

    fn decode(text: &str) -> Result<T, WireError> {
        imp::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::Wire;
    use crate::error::AppError;
    use leptos::server_fn::{Decodes, Encodes};

    #[test]
    fn results_and_errors_round_trip_as_plain_json() {
        let error = AppError::RateLimited {
            retry_after_seconds: 7,
        };
        let bytes = <Wire as Encodes<AppError>>::encode(&error).unwrap();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            r#"{"code":"rate_limited","detail":{"retry_after_seconds":7}}"#
        );
        assert_eq!(<Wire as Decodes<AppError>>::decode(bytes).unwrap(), error);
        let text = <Wire as codee::Encoder<Vec<u32>>>::encode(&vec![1, 2]).unwrap();
        assert_eq!(text, "[1,2]");
        let back: Vec<u32> = <Wire as codee::Decoder<Vec<u32>>>::decode(&text).unwrap();
        assert_eq!(back, vec![1, 2]);
        assert!(<Wire as codee::Decoder<Vec<u32>>>::decode("[1,").is_err());
    }
}
