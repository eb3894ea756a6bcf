//! A typed client for `/api/v1`, using the API's own request/response types from `app::model`.
use app::model::{ApiErrorBody, ApiList, ApiResult};
use reqwest::blocking::{Client, RequestBuilder};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

/// Why a call failed, ready to be shown to a person.
#[derive(Debug)]
pub enum Failure {
    /// Exit code 1.
    Refused(String),
}

pub struct Api {
    http: Client,
    host: String,
    token: Option<String>,
}

impl Api {
    pub fn new(host: &str, token: Option<String>) -> Result<Api, Failure> {
        let http = Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .user_agent(concat!("gatehouse-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Failure::Refused(format!("cannot start an HTTP client: {e}")))?;
        Ok(Api {
            http,
            host: host.trim_end_matches('/').to_string(),
            token,
        })
    }

    fn request(&self, method: Method, path: &str) -> Result<RequestBuilder, Failure> {
        let token = self.token.as_deref().ok_or_else(|| {
            Failure::Refused(
                "no token: run `gatehouse login`, set GATEHOUSE_CLI_TOKEN, or pass --token".into(),
            )
        })?;
        Ok(self
            .http
            .request(method, format!("{}/api/v1{path}", self.host))
            .bearer_auth(token))
    }

    fn send<T: DeserializeOwned>(&self, builder: RequestBuilder) -> Result<Option<T>, Failure> {
        let response = builder.send().map_err(|e| {
            Failure::Refused(format!("cannot reach {}: {}", self.host, root_cause(&e)))
        })?;
        let status = response.status();
        if status == StatusCode::NO_CONTENT {
            return Ok(None);
        }
        // What was asked for, for a 404 that says what was not found.
        let asked = response
            .url()
            .path()
            .trim_start_matches("/api/v1")
            .to_string();
        let body = response.text().map_err(|e| {
            Failure::Refused(format!("{}: reading the response failed: {e}", self.host))
        })?;
        if status.is_success() {
            return serde_json::from_str(&body).map(Some).map_err(|e| {
                Failure::Refused(format!("{} sent an unexpected response: {e}", self.host))
            });
        }
        let detail = serde_json::from_str::<ApiErrorBody>(&body).ok();
        let message = detail
            .as_ref()
            .map(|d| d.error.message.clone())
            .unwrap_or_else(|| body.chars().take(200).collect());
        let request_id = detail
            .map(|d| format!(" (request id {})", d.error.request_id))
            .unwrap_or_default();
        Err(Failure::Refused(match status {
            StatusCode::UNAUTHORIZED => format!(
                "the token was refused: it is missing, malformed or revoked. Run `gatehouse login` \
                 with a new token (Credentials page of the console) or set GATEHOUSE_CLI_TOKEN{request_id}"
            ),
            StatusCode::FORBIDDEN => format!("this needs the owner role{request_id}"),
            StatusCode::NOT_FOUND => format!(
                "not found: {} — check the name or id (list them with `gatehouse … list`){request_id}",
                urlencoding_decode(&asked)
            ),
            _ => format!("{message}{request_id}"),
        }))
    }

    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Failure> {
        let response: Option<ApiResult<T>> = self.send(self.request(Method::GET, path)?)?;
        response.map(|r| r.result).ok_or_else(empty)
    }

    pub fn list<T: DeserializeOwned>(&self, path: &str) -> Result<ApiList<T>, Failure> {
        self.send(self.request(Method::GET, path)?)?
            .ok_or_else(empty)
    }

    /// Every item of a list, following `next_paging_token`, stopping after `max` if given.
    /// `path` already has its query string (at least `?count=…`).
    pub fn list_all<T: DeserializeOwned>(
        &self,
        path: &str,
        max: Option<usize>,
    ) -> Result<Vec<T>, Failure> {
        let mut all = Vec::new();
        let mut paging: Option<String> = None;
        loop {
            let page_path = match &paging {
                Some(token) => format!("{path}&paging_token={}", encode(token)),
                None => path.to_string(),
            };
            let page = self.list::<T>(&page_path)?;
            all.extend(page.results);
            if let Some(max) = max.filter(|m| all.len() >= *m) {
                all.truncate(max);
                return Ok(all);
            }
            match page.metadata.next_paging_token {
                Some(token) => paging = Some(token),
                None => return Ok(all),
            }
        }
    }

    pub fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<T, Failure> {
        let mut builder = self.request(Method::POST, path)?;
        if let Some(body) = body {
            builder = builder.json(&body);
        }
        let response: Option<ApiResult<T>> = self.send(builder)?;
        response.map(|r| r.result).ok_or_else(empty)
    }

    pub fn put<T: DeserializeOwned>(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> Result<T, Failure> {
        let builder = self.request(Method::PUT, path)?.json(&body);
        let response: Option<ApiResult<T>> = self.send(builder)?;
        response.map(|r| r.result).ok_or_else(empty)
    }

    pub fn delete(&self, path: &str) -> Result<(), Failure> {
        self.send::<serde_json::Value>(self.request(Method::DELETE, path)?)
            .map(|_| ())
    }
}

fn empty() -> Failure {
    Failure::Refused("the server sent an empty response".into())
}

fn root_cause(err: &dyn std::error::Error) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// Percent-encodes a query or path value.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Percent-decodes a URL path for a message (names are sent percent-encoded).
fn urlencoding_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            if let Ok(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .map_err(|_| ())
                .and_then(|hex| u8::from_str_radix(hex, 16).map_err(|_| ()))
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
