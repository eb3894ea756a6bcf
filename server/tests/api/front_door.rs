//! The front door (issue 9): what reaches the server before anyone is signed in — login CSRF,
//! hostile signatures, rate limits, request ids, headers, the dev IdP's reach, body limits —
//! and the session lifetime rules.
use crate::helpers::*;
use crate::on_both_backends;
use sqlx::Row;
use std::time::{Duration, Instant};

on_both_backends!(
    pages_are_compressed_when_asked_and_json_never,
    a_response_started_in_one_browser_does_not_sign_in_another,
    hostile_signature_references_are_refused_and_never_stall_the_server,
    sign_in_requests_over_the_limit_get_429_with_retry_after,
    repeated_bad_tokens_get_429_and_then_even_a_good_token_waits,
    refused_sign_ins_are_audited_as_one_row_per_address_and_minute,
    a_client_chosen_request_id_is_replaced_by_the_servers_own,
    pages_carry_a_csp_whose_nonce_is_on_every_inline_script,
    hsts_is_sent_only_for_an_https_public_url,
    the_dev_idp_refuses_a_client_forwarded_from_another_host,
    over_limit_bodies_get_413_and_unreadable_arguments_400,
    session_ids_are_stored_only_as_hashes,
    the_idle_timeout_slides_with_activity,
    a_session_ends_at_its_absolute_lifetime_even_when_active,
    sign_out_everywhere_ends_every_session_of_the_user_only,
    a_long_next_is_not_stored,
    a_request_whose_body_never_arrives_gets_408,
    static_files_are_served_without_touching_the_session,
);

async fn a_request_whose_body_never_arrives_gets_408(backend: Backend) {
    use std::io::{Read as _, Write as _};
    let app = spawn_app_with(backend, &[("GATEHOUSE_REQUEST_TIMEOUT_SECONDS", "1")]).await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let answer = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        stream
            .write_all(
                b"POST /saml/acs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                  Content-Length: 100000\r\n\r\nSAMLResponse=abc",
            )
            .unwrap();
        let mut buf = [0u8; 64];
        let n = stream.read(&mut buf).unwrap_or(0);
        String::from_utf8_lossy(&buf[..n]).to_string()
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
}

/// Moves the app's clock to the start of a minute, so a few requests cannot straddle two
/// rate-limit windows.
fn start_of_a_minute(app: &TestApp) {
    let now = app.state.app.clock.unix();
    app.advance(60 - now.rem_euclid(60));
}

async fn a_response_started_in_one_browser_does_not_sign_in_another(backend: Backend) {
    let app = spawn_app(backend).await;
    // The attacker starts a sign-in in their own browser and gets a valid response for it...
    let attacker = app.without_cookies();
    let (request, _) = attacker.start_login("/").await;
    let response = b64(attacker.crafted_response("grace@example.com", &request, |_| {}));
    // ...and has the victim's browser post it (an auto-submitting page on another site).
    let victim = app.without_cookies();
    let acs = victim.post_saml_response(&response).await;
    assert_eq!(acs.status(), 403);
    assert!(session_cookie(&acs).is_none());
    assert!(acs
        .text()
        .await
        .unwrap()
        .contains("started in another browser"));
    assert_eq!(victim.me(None).await.status(), 401);
    assert_eq!(app.count("users").await, 0);
    // A victim who has a sign-in of their own in progress is refused the same way.
    victim.start_login("/").await;
    assert_eq!(victim.post_saml_response(&response).await.status(), 403);
    // The attempt did not burn the request: the browser that started it still signs in.
    let own = attacker.post_saml_response(&response).await;
    assert_eq!(own.status(), 303);
    assert_eq!(attacker.me(None).await.status(), 200);
}

/// A small HTTP server that accepts connections and never answers.
fn black_hole() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/slow", listener.local_addr().unwrap());
    (listener, url)
}

async fn hostile_signature_references_are_refused_and_never_stall_the_server(backend: Backend) {
    let app = spawn_app(backend).await;
    let dir = std::env::temp_dir().join(format!("gatehouse-fifo-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let (listener, url) = black_hole();
    let (request, _) = app.start_login("/").await;
    let signed = app.crafted_response("grace@example.com", &request, |_| {});
    let start = signed.find("Reference URI=\"").unwrap() + "Reference URI=\"".len();
    let end = start + signed[start..].find('"').unwrap();
    let targets = [
        url.clone(),
        format!("file://{}", fifo.display()),
        fifo.display().to_string(),
        "file:///etc/passwd".to_string(),
    ];
    // More hostile posts at once than there are cores and signature-check slots.
    let posts = (0..12).map(|i| {
        let body = b64(format!(
            "{}{}{}",
            &signed[..start],
            targets[i % targets.len()],
            &signed[end..]
        ));
        let app = app.without_cookies();
        tokio::spawn(async move { app.post_saml_response(&body).await.status() })
    });
    let posts: Vec<_> = posts.collect();
    let started = Instant::now();
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    for post in posts {
        let status = tokio::time::timeout(Duration::from_secs(20), post)
            .await
            .expect("a hostile post held the server")
            .unwrap();
        assert_eq!(status, 403);
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "hostile posts took {:?}",
        started.elapsed()
    );
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the server fetched {url}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

async fn sign_in_requests_over_the_limit_get_429_with_retry_after(backend: Backend) {
    let app = spawn_app_with(backend, &[("GATEHOUSE_SIGNIN_RATE_PER_MINUTE", "3")]).await;
    start_of_a_minute(&app);
    for _ in 0..2 {
        app.start_login("/").await;
    }
    // The ACS counts against the same allowance.
    let acs = app.post_saml_response("bm90IHhtbA==").await;
    assert_eq!(acs.status(), 400);
    let refused = app.get("/saml/login").await;
    assert_eq!(refused.status(), 429);
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(app.post_saml_response("bm90IHhtbA==").await.status(), 429);
    // Refused before anything was stored: three requests only.
    assert_eq!(app.count("saml_requests").await, 2);
    // The next minute, the address may try again.
    app.advance(60);
    assert_eq!(app.get("/saml/login").await.status(), 303);
}

async fn repeated_bad_tokens_get_429_and_then_even_a_good_token_waits(backend: Backend) {
    let app = spawn_app_with(backend, &[("GATEHOUSE_AUTH_FAILURES_PER_MINUTE", "3")]).await;
    start_of_a_minute(&app);
    let (_, token) = app.member_with_token("grace@example.com").await;
    let me = |t: &str| {
        let t = t.to_string();
        let app = app.without_cookies();
        async move {
            app.api(reqwest::Method::GET, "/users/me", Some(&t), None)
                .await
        }
    };
    assert_eq!(me(&token).await.status(), 200, "successes do not count");
    for guess in [
        "gtu_guess1",
        "nonsense",
        "gtu_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        assert_eq!(me(guess).await.status(), 401);
    }
    let refused = me(&token).await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    app.advance(60);
    assert_eq!(me(&token).await.status(), 200);
}

async fn refused_sign_ins_are_audited_as_one_row_per_address_and_minute(backend: Backend) {
    let app = spawn_app(backend).await;
    start_of_a_minute(&app);
    for _ in 0..5 {
        assert_eq!(app.post_saml_response("bm90IHhtbA==").await.status(), 400);
    }
    let rows = sqlx::query(
        "SELECT repeat_count, detail, source_ip FROM audit_events WHERE action = 'signin.refused'",
    )
    .fetch_all(app.state.app.db.pool())
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].try_get::<i64, _>("repeat_count").unwrap(), 5);
    assert_eq!(
        rows[0].try_get::<String, _>("source_ip").unwrap(),
        "127.0.0.1"
    );
    app.advance(60);
    app.post_saml_response("bm90IHhtbA==").await;
    assert_eq!(
        app.count("audit_events").await,
        2,
        "a new minute, a new row"
    );
}

async fn a_client_chosen_request_id_is_replaced_by_the_servers_own(backend: Backend) {
    let app = spawn_app(backend).await;
    let forged = "forged-id-<script>";
    let acs = app
        .client
        .post(app.url("/saml/acs"))
        .header("x-request-id", forged)
        .form(&[("SAMLResponse", "bm90IHhtbA==")])
        .send()
        .await
        .unwrap();
    let echoed = acs.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_ne!(echoed, forged);
    assert!(uuid::Uuid::parse_str(&echoed).is_ok(), "{echoed}");
    let stored: String = sqlx::query("SELECT request_id FROM audit_events")
        .fetch_one(app.state.app.db.pool())
        .await
        .unwrap()
        .try_get("request_id")
        .unwrap();
    assert_eq!(stored, echoed);
}

async fn pages_carry_a_csp_whose_nonce_is_on_every_inline_script(backend: Backend) {
    let app = spawn_app(backend).await;
    app.sign_in_as("ada@example.com", "/").await;
    for path in ["/signin", "/credentials", "/iam/service-accounts"] {
        let page = app.get(path).await;
        assert_eq!(page.status(), 200, "{path}");
        let headers = page.headers().clone();
        let csp = headers["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        for directive in [
            "frame-ancestors 'none'",
            "'wasm-unsafe-eval'",
            "object-src 'none'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap()
            .to_string();
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "same-origin");
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        assert!(!headers.contains_key("strict-transport-security"));
        let html = page.text().await.unwrap();
        let scripts = html.matches("<script").count();
        assert!(scripts > 0, "{path}: hydration scripts expected");
        assert_eq!(
            html.matches(&format!("nonce=\"{nonce}\"")).count(),
            scripts,
            "{path}: every script carries this response's nonce\n{html}"
        );
    }
    // A new token is never cached.
    let created = app.call_fn("create_my_token", &[("name", "n")]).await;
    assert_eq!(created.headers()["cache-control"], "no-store");
    // Each response has its own nonce.
    let csp = |r: &reqwest::Response| r.headers()["content-security-policy"].clone();
    let a = app.get("/signin").await;
    let b = app.get("/signin").await;
    assert_ne!(csp(&a), csp(&b));
}

async fn hsts_is_sent_only_for_an_https_public_url(backend: Backend) {
    // Served over plain http here; what matters is the configured public URL.
    let app = spawn_app_with(
        backend,
        &[("GATEHOUSE_PUBLIC_URL", "https://127.0.0.1:8443")],
    )
    .await;
    let page = app.get("/healthz").await;
    assert_eq!(
        page.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    // And the sign-in binding cookie survives the IdP's cross-site POST.
    let login = app.get("/saml/login").await;
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("gatehouse_signin="))
        .expect("binding cookie");
    assert!(
        cookie.contains("SameSite=None") && cookie.contains("Secure"),
        "{cookie}"
    );
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("Path=/saml"),
        "{cookie}"
    );
}

async fn the_dev_idp_refuses_a_client_forwarded_from_another_host(backend: Backend) {
    let app = spawn_app_with(backend, &[("GATEHOUSE_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let (_, idp_url) = app.start_login("/").await;
    let remote = app
        .client
        .get(&idp_url)
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(remote.status(), 403);
    let local = app.client.get(&idp_url).send().await.unwrap();
    assert_eq!(local.status(), 200);
    // Without a trusted proxy the header is the client's own words and changes nothing.
    let app = spawn_app(backend).await;
    let (_, idp_url) = app.start_login("/").await;
    let spoofed = app
        .client
        .get(&idp_url)
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(spoofed.status(), 200);
}

/// The status line answered to a POST whose headers announce `length` bytes, none of them sent.
async fn status_of_announced_body(app: &TestApp, path: &str, extra: &str, length: usize) -> u16 {
    use std::io::{Read as _, Write as _};
    let addr = app.base.trim_start_matches("http://").to_string();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: {}\r\n{extra}\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n",
        app.base
    );
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut buf = [0u8; 32];
        let n = stream.read(&mut buf).unwrap_or(0);
        let line = String::from_utf8_lossy(&buf[..n]).to_string();
        line.split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no status line: {line:?}"))
    })
    .await
    .unwrap()
}

async fn over_limit_bodies_get_413_and_unreadable_arguments_400(backend: Backend) {
    let app = spawn_app(backend).await;
    app.sign_in_as("ada@example.com", "/").await;
    let (_, token) = app.member_with_token("ada@example.com").await;
    // Announced too large: refused from the headers, before a byte of the body is read. (A
    // client streaming the whole body may see the connection close before it reads the 413,
    // so the request is written by hand: headers only, then read the answer.)
    let too_large = gatehouse_server::routes::MAX_BODY_BYTES + 1;
    for (path, auth) in [
        ("/fn/create_my_token", String::new()),
        ("/saml/acs", String::new()),
        (
            "/api/v1/service_accounts",
            format!("Authorization: Bearer {token}\r\n"),
        ),
    ] {
        let status = status_of_announced_body(&app, path, &auth, too_large).await;
        assert_eq!(status, 413, "{path}");
    }
    // Just under the limit is read (and then judged on its content).
    let under = "x".repeat(gatehouse_server::routes::MAX_BODY_BYTES - 1024);
    assert_eq!(app.post_saml_response(&under).await.status(), 400);
    // Arguments the server function cannot read are the caller's mistake.
    let bad = app
        .client
        .post(app.url("/fn/owner/create_service_account"))
        .header("origin", &app.base)
        .form(&[("nonsense", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert_eq!(body["code"], "invalid_input", "{body}");
}

async fn session_ids_are_stored_only_as_hashes(backend: Backend) {
    let app = spawn_app(backend).await;
    let acs = app.sign_in_as("ada@example.com", "/").await;
    let cookie = session_cookie(&acs).expect("session cookie");
    let id = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("gatehouse_session=")
        .to_string();
    let stored: Vec<String> = sqlx::query("SELECT id, data FROM sessions")
        .fetch_all(app.state.app.db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.try_get::<String, _>("id").unwrap(),
                r.try_get::<String, _>("data").unwrap()
            )
        })
        .collect();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(&id), "{stored:?}");
    assert!(stored[0].starts_with(&app::server::tokens::hash_token(&id)));
    assert_eq!(app.me(None).await.status(), 200);
}

/// A page shows up to ~40 WASM chunks: none of those requests may load or re-save the session
/// (a database round trip and write each), nor carry a `Set-Cookie` on a response that is
/// cacheable for a year.
async fn static_files_are_served_without_touching_the_session(backend: Backend) {
    let app = spawn_app(backend).await;
    app.sign_in_as("ada@example.com", "/").await;
    let page = app.get("/").await;
    assert_eq!(page.status(), 200);
    assert!(
        session_cookie(&page).is_some(),
        "a page refreshes the session cookie, so the browser does send one"
    );
    for path in ["/pkg/gatehouse.css", "/pkg/no-such-chunk.wasm"] {
        let asset = app.get(path).await;
        assert!(session_cookie(&asset).is_none(), "{path} set a cookie");
    }
}

async fn the_idle_timeout_slides_with_activity(backend: Backend) {
    let app = spawn_app_with(backend, &[("GATEHOUSE_SESSION_IDLE_MINUTES", "30")]).await;
    app.sign_in_as("ada@example.com", "/").await;
    // Active every 25 minutes for 100 minutes: far past 30 minutes after sign-in.
    for _ in 0..4 {
        app.advance(25 * 60);
        assert_eq!(app.me(None).await.status(), 200);
    }
    // 31 idle minutes end it.
    app.advance(31 * 60);
    assert_eq!(app.me(None).await.status(), 401);
}

async fn a_session_ends_at_its_absolute_lifetime_even_when_active(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("GATEHOUSE_SESSION_IDLE_MINUTES", "30"),
            ("GATEHOUSE_SESSION_MAX_HOURS", "1"),
        ],
    )
    .await;
    app.sign_in_as("ada@example.com", "/").await;
    app.advance(20 * 60);
    assert_eq!(app.me(None).await.status(), 200);
    app.advance(20 * 60);
    assert_eq!(app.me(None).await.status(), 200);
    app.advance(21 * 60);
    assert_eq!(app.me(None).await.status(), 401, "61 minutes after sign-in");
}

async fn sign_out_everywhere_ends_every_session_of_the_user_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let laptop = app.without_cookies();
    let phone = app.without_cookies();
    let other = app.without_cookies();
    laptop.sign_in_as("grace@example.com", "/").await;
    phone.sign_in_as("grace@example.com", "/").await;
    other.sign_in_as("alan@example.com", "/").await;
    let (_, token) = app.member_with_token("grace@example.com").await;
    let ended = laptop.call_fn("sign_out_everywhere", &[]).await;
    assert_eq!(ended.status(), 200);
    let count: u64 = ended.json().await.unwrap();
    assert_eq!(
        count, 3,
        "laptop, phone and the browser that made the token"
    );
    assert_eq!(laptop.me(None).await.status(), 401);
    assert_eq!(phone.me(None).await.status(), 401);
    assert_eq!(
        other.me(None).await.status(),
        200,
        "another user keeps theirs"
    );
    let api = app
        .api(reqwest::Method::GET, "/users/me", Some(&token), None)
        .await;
    assert_eq!(api.status(), 200, "tokens are not sessions");
    let audited = sqlx::query(
        "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'sessions.signed_out_everywhere'",
    )
    .fetch_one(app.state.app.db.pool())
    .await
    .unwrap()
    .try_get::<i64, _>("n")
    .unwrap();
    assert_eq!(audited, 1);
    let anonymous = app
        .without_cookies()
        .call_fn("sign_out_everywhere", &[])
        .await;
    assert_eq!(anonymous.status(), 401);
}

async fn a_long_next_is_not_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let long = format!("/{}", "a".repeat(app::urls::MAX_NEXT_LEN));
    app.start_login(&long).await;
    let stored: String = sqlx::query("SELECT next_path FROM saml_requests")
        .fetch_one(app.state.app.db.pool())
        .await
        .unwrap()
        .try_get("next_path")
        .unwrap();
    assert_eq!(stored, "/");
}

/// SIGTERM ends the real binary within its bound even while a client holds a request open
/// (here: a body that never finishes arriving).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_completes_within_its_bound_while_a_request_hangs() {
    use std::io::Write as _;
    let dir = std::env::temp_dir().join(format!("gatehouse-stop-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    /// Killed and reaped however the test ends.
    struct Running(std::process::Child);
    impl Drop for Running {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let spawned = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse-server"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GATEHOUSE_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env(
            "GATEHOUSE_DATABASE_URL",
            format!("sqlite://{}/gatehouse.db", dir.display()),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Running(spawned);
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..200 {
        if let Ok(r) = client().get(format!("{base}/healthz")).send().await {
            up = r.status() == 200;
            if up {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the server started");
    // A POST whose body never completes.
    let mut hanging = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    hanging
        .write_all(
            b"POST /saml/acs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
              Content-Length: 100000\r\n\r\nSAMLResponse=abc",
        )
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopped_at = Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let bound = gatehouse_server::SHUTDOWN_GRACE + Duration::from_secs(10);
    let mut exited = None;
    while stopped_at.elapsed() < bound {
        if let Some(status) = server.0.try_wait().unwrap() {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(server);
    drop(hanging);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        exited.is_some(),
        "still running {:?} after SIGTERM",
        stopped_at.elapsed()
    );
}

/// Pages and metadata travel compressed when the browser asks; JSON (where new tokens travel)
/// never does; static files are revalidated rather than stored blindly.
async fn pages_are_compressed_when_asked_and_json_never(backend: Backend) {
    use std::io::Read as _;
    let app = spawn_app(backend).await;
    for (path, encoding) in [("/signin", "br"), ("/saml/metadata", "gzip")] {
        let response = app
            .client
            .get(app.url(path))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["content-encoding"], encoding, "{path}");
        assert!(response.headers()["vary"]
            .to_str()
            .unwrap()
            .contains("accept-encoding"));
        let body = response.bytes().await.unwrap();
        if encoding == "gzip" {
            let mut text = String::new();
            flate2::read::GzDecoder::new(&body[..])
                .read_to_string(&mut text)
                .unwrap();
            assert!(text.contains("EntityDescriptor"), "{path}");
        }
        let plain = app.get(path).await;
        assert!(
            plain.headers().get("content-encoding").is_none(),
            "not asked, not sent"
        );
    }
    let (browser, token) = app.member_with_token("ada@example.com").await;
    let json = client()
        .get(app.url("/api/v1/users/me"))
        .bearer_auth(&token)
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert!(
        json.headers().get("content-encoding").is_none(),
        "JSON is never compressed"
    );
    let created = browser
        .client
        .post(app.url("/fn/create_my_token"))
        .header("origin", &app.base)
        .header("accept-encoding", "gzip, br")
        .form(&[("name", "compressed?")])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    assert!(
        created.headers().get("content-encoding").is_none(),
        "a new token is never compressed"
    );
    // Without cargo-leptos' hash file (a plain cargo build) the names carry no hash: revalidated.
    let asset = app.get("/pkg/gatehouse.css").await;
    assert_eq!(asset.headers()["cache-control"], "no-cache");
}
