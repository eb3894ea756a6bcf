use app::server::clock::Clock;
use gatehouse_server::config::Config;
use gatehouse_server::dev_idp::{demo_user, parse_redirect_request, RequestInfo};
use gatehouse_server::routes::ServerState;
use gatehouse_server::Application;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use samael::schema::Response as SamlResponse;
use sqlx::{Connection, Executor, Row};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one test per backend for each named scenario `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}

pub struct TestApp {
    pub base: String,
    /// `http://127.0.0.1:<port>/metrics`: the metrics listener (its own port).
    pub metrics_url: Option<String>,
    pub state: ServerState,
    /// Seconds the app's clock runs ahead of the system clock; tests move time with
    /// [`TestApp::advance`], never by sleeping.
    pub clock_offset: Arc<AtomicI64>,
    /// Keeps cookies, never follows redirects (tests look at them).
    pub client: reqwest::Client,
    /// The PostgreSQL database of this app, if on PostgreSQL.
    pub database: Option<String>,
    /// Its database URL (a second replica can be started on it).
    pub database_url: String,
    _dir: TempDir,
}

/// What a test app owns outside itself: its temporary directory and, on PostgreSQL, its
/// database. Both are removed when the test ends, so a shared server does not fill up.
pub struct TempDir(std::path::PathBuf, Option<String>);

impl TempDir {
    /// A handle that owns nothing (for a second view of the same app).
    pub fn none() -> TempDir {
        TempDir(std::path::PathBuf::new(), None)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !self.0.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
        if let Some(name) = self.1.take() {
            drop_test_database(name);
        }
    }
}

/// `DROP DATABASE … WITH (FORCE)` (ending the app's own connections), from a thread of its
/// own because `Drop` cannot await.
fn drop_test_database(name: String) {
    let Ok(admin) = std::env::var("GATEHOUSE_TEST_POSTGRES_URL") else {
        return;
    };
    let _ = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                let _ = conn
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await;
            }
        });
    })
    .join();
}

/// The name of a PostgreSQL test database, from its URL.
fn database_name(url: &str) -> Option<String> {
    url.starts_with("postgres")
        .then(|| url::Url::parse(url).ok())
        .flatten()
        .map(|u| u.path().trim_start_matches('/').to_string())
}

pub async fn fresh_database_url(backend: Backend, dir: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}/gatehouse.db", dir.display()),
        Backend::Postgres => {
            let admin = std::env::var("GATEHOUSE_TEST_POSTGRES_URL").expect(
                "GATEHOUSE_TEST_POSTGRES_URL is not set. Run the suite with scripts/test.sh, which starts \
                 a throwaway PostgreSQL, or point it at a server where databases may be created.",
            );
            let name = format!("gatehouse_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to test PostgreSQL");
            conn.execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .expect("create test database");
            let mut url = url::Url::parse(&admin).expect("GATEHOUSE_TEST_POSTGRES_URL is a URL");
            url.set_path(&format!("/{name}"));
            url.to_string()
        }
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

pub async fn spawn_app_with(backend: Backend, extra_env: &[(&str, &str)]) -> TestApp {
    let dir =
        std::env::temp_dir().join(format!("gatehouse-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let base = format!("http://{addr}");
    let database_url = fresh_database_url(backend, &dir).await;
    let database = database_name(&database_url);
    let url_for_app = database_url.clone();
    let mut env: HashMap<String, String> = HashMap::from([
        ("GATEHOUSE_PUBLIC_URL".into(), base.clone()),
        ("GATEHOUSE_LISTEN_ADDR".into(), addr.to_string()),
        ("GATEHOUSE_METRICS_ADDR".into(), "127.0.0.1:0".into()),
        ("GATEHOUSE_DATABASE_URL".into(), database_url),
        ("GATEHOUSE_ORG_NAME".into(), "Test Org".into()),
        // Every test client is 127.0.0.1; tests of the limits set their own.
        ("GATEHOUSE_SIGNIN_RATE_PER_MINUTE".into(), "100000".into()),
        ("GATEHOUSE_AUTH_FAILURES_PER_MINUTE".into(), "100000".into()),
    ]);
    for (k, v) in extra_env {
        env.insert(k.to_string(), v.to_string());
    }
    let config = Config::from_sources(None, &|k| env.get(k).cloned()).expect("test config");
    let clock_offset = Arc::new(AtomicI64::new(0));
    let offset = clock_offset.clone();
    let clock = Clock::from_fn(move || {
        time::OffsetDateTime::now_utc() + time::Duration::seconds(offset.load(Ordering::SeqCst))
    });
    let app = Application::build_on(listener, config, clock)
        .await
        .expect("build app");
    let state = app.state().clone();
    let metrics_url = app.metrics_addr().map(|a| format!("http://{a}/metrics"));
    tokio::spawn(app.run());
    let database_for_drop = database.clone();
    TestApp {
        base,
        metrics_url,
        state,
        clock_offset,
        client: client(),
        database,
        database_url: env
            .get("GATEHOUSE_DATABASE_URL")
            .cloned()
            .unwrap_or(url_for_app),
        _dir: TempDir(dir, database_for_drop),
    }
}

/// A SAML response as the HTTP-POST binding carries it.
pub fn b64(xml: String) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(xml)
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .expect("a Location header")
        .to_str()
        .expect("ascii")
        .to_string()
}

/// The `gatehouse_session=…` pair from a response's Set-Cookie, if any.
pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("gatehouse_session="))
        .map(str::to_string)
}

/// The value of a hidden form field in an HTML page.
pub fn form_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in {html}"))
        + marker.len();
    let end = start + html[start..].find('"').expect("closing quote");
    html[start..end]
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
}

impl TestApp {
    /// The same app seen from a browser without cookies.
    pub fn without_cookies(&self) -> TestApp {
        TestApp {
            base: self.base.clone(),
            metrics_url: self.metrics_url.clone(),
            state: self.state.clone(),
            clock_offset: self.clock_offset.clone(),
            client: client(),
            database: self.database.clone(),
            database_url: self.database_url.clone(),
            _dir: TempDir::none(),
        }
    }

    /// Moves the app's clock forward.
    pub fn advance(&self, seconds: i64) {
        self.clock_offset.fetch_add(seconds, Ordering::SeqCst);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET path` with this client's cookies (redirects not followed).
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// Starts SP-initiated login; returns the AuthnRequest the IdP receives and its query.
    pub async fn start_login(&self, next: &str) -> (RequestInfo, String) {
        let response = self
            .client
            .get(self.url("/saml/login"))
            .query(&[("next", next)])
            .send()
            .await
            .expect("login");
        assert_eq!(response.status(), 303, "login redirects to the IdP");
        let idp_url = url::Url::parse(&location(&response)).expect("IdP URL");
        let saml_request = idp_url
            .query_pairs()
            .find(|(k, _)| k == "SAMLRequest")
            .expect("SAMLRequest")
            .1
            .to_string();
        (
            parse_redirect_request(&saml_request).expect("AuthnRequest"),
            idp_url.to_string(),
        )
    }

    /// The whole browser flow through the development IdP; returns the ACS response.
    pub async fn sign_in_as(&self, email: &str, next: &str) -> reqwest::Response {
        let (_, idp_url) = self.start_login(next).await;
        let page = self.client.get(&idp_url).send().await.expect("IdP page");
        assert_eq!(page.status(), 200);
        let html = page.text().await.expect("IdP page body");
        let form = [
            ("SAMLRequest", form_field(&html, "SAMLRequest")),
            ("RelayState", form_field(&html, "RelayState")),
            ("user", email.to_string()),
        ];
        let posted = self
            .client
            .post(self.url("/dev-idp/sso"))
            .form(&form)
            .send()
            .await
            .expect("IdP submit");
        assert_eq!(posted.status(), 200);
        let auto_post = posted.text().await.expect("auto-post page");
        self.post_saml_response(&form_field(&auto_post, "SAMLResponse"))
            .await
    }

    pub async fn post_saml_response(&self, b64: &str) -> reqwest::Response {
        self.client
            .post(self.url("/saml/acs"))
            .form(&[("SAMLResponse", b64), ("RelayState", "")])
            .send()
            .await
            .expect("ACS")
    }

    /// A response for `email` answering `request`, changed by `tweak`, signed by the dev IdP.
    pub fn crafted_response(
        &self,
        email: &str,
        request: &RequestInfo,
        tweak: impl FnOnce(&mut SamlResponse),
    ) -> String {
        let idp = self.state.dev_idp.as_ref().expect("dev IdP enabled");
        let mut response =
            // samael checks IssueInstant against the system clock, not the app's.
            idp.response_for(demo_user(email).expect("demo user"), request, chrono::Utc::now());
        tweak(&mut response);
        idp.sign(&response).expect("sign")
    }

    /// POSTs the `me` server function, optionally with an explicit cookie instead of the jar.
    pub async fn me(&self, cookie: Option<&str>) -> reqwest::Response {
        let client = if cookie.is_some() {
            client()
        } else {
            self.client.clone()
        };
        let mut request = client
            .post(self.url("/fn/me"))
            .header("origin", &self.base)
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(cookie) = cookie {
            let pair = cookie.split(';').next().expect("cookie pair");
            request = request.header(COOKIE, pair);
        }
        request.send().await.expect("me")
    }

    /// Calls a server function (`/fn/<endpoint>`) as a form post with this client's cookies.
    pub async fn call_fn(&self, endpoint: &str, args: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/fn/{endpoint}")))
            .header("origin", &self.base)
            .form(args)
            .send()
            .await
            .expect("server function call")
    }

    /// The status of `GET /api/v1/users/me` with `token`: does this token work right now?
    pub async fn status_with(&self, token: &str) -> u16 {
        self.api(reqwest::Method::GET, "/users/me", Some(token), None)
            .await
            .status()
            .as_u16()
    }

    /// An `/api/v1` request with an optional bearer token.
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = client().request(method, self.url(&format!("/api/v1{path}")));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("API call")
    }

    /// Calls a server function that answers with a new token (`create_my_token`,
    /// `revoke_all_my_credentials`) and returns the token.
    pub async fn new_token_via(&self, endpoint: &str) -> String {
        let response = self.call_fn(endpoint, &[]).await;
        assert_eq!(response.status(), 200, "{endpoint}");
        let body: serde_json::Value = response.json().await.expect("json");
        body["token"].as_str().expect("token").to_string()
    }

    /// Signs in through the dev IdP in a fresh browser and creates a personal token.
    pub async fn member_with_token(&self, email: &str) -> (TestApp, String) {
        let browser = self.without_cookies();
        assert_eq!(browser.sign_in_as(email, "/").await.status(), 303);
        let created = browser
            .call_fn("create_my_token", &[("name", "test")])
            .await;
        assert_eq!(created.status(), 200);
        let body: serde_json::Value = created.json().await.expect("json");
        let token = body["token"].as_str().expect("token").to_string();
        (browser, token)
    }

    /// As [`TestApp::member_with_token`], with a token that expires in `days` (for apps with
    /// a maximum token lifetime).
    pub async fn member_with_token_expiring(&self, email: &str, days: i64) -> (TestApp, String) {
        let browser = self.without_cookies();
        assert_eq!(browser.sign_in_as(email, "/").await.status(), 303);
        let at = (self.state.app.clock.unix() + days * 86_400).to_string();
        let created = browser
            .call_fn("create_my_token", &[("name", "test"), ("expires_at", &at)])
            .await;
        assert_eq!(created.status(), 200);
        let body: serde_json::Value = created.json().await.expect("json");
        let token = body["token"].as_str().expect("token").to_string();
        (browser, token)
    }

    pub async fn user_id(&self, email: &str) -> String {
        sqlx::query("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(self.state.app.db.pool())
            .await
            .expect("user row")
            .try_get("id")
            .expect("id")
    }

    pub async fn role_of(&self, email: &str) -> String {
        sqlx::query("SELECT role FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(self.state.app.db.pool())
            .await
            .expect("user row")
            .try_get("role")
            .expect("role")
    }

    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(self.state.app.db.pool())
            .await
            .expect("count")
            .try_get("n")
            .expect("n")
    }

    pub async fn count_where(&self, table: &str, condition: &str) -> i64 {
        sqlx::query(&format!(
            "SELECT COUNT(*) AS n FROM {table} WHERE {condition}"
        ))
        .fetch_one(self.state.app.db.pool())
        .await
        .expect("count")
        .try_get("n")
        .expect("n")
    }

    /// `POST /logout` from the console's own origin.
    pub async fn sign_out(&self) -> reqwest::Response {
        self.client
            .post(self.url("/logout"))
            .header("origin", &self.base)
            .send()
            .await
            .expect("logout")
    }
}
