//! SAML Single Logout, both ways, through the development IdP (which lists an HTTP-Redirect
//! SLO endpoint): SP-initiated sign-out, IdP-initiated logout, and every refusal.
use crate::helpers::*;
use crate::on_both_backends;
use base64::Engine as _;
use openssl::hash::MessageDigest;
use openssl::sign::Verifier;

on_both_backends!(
    signing_out_sends_a_signed_logout_request_and_the_idps_answer_completes_it,
    an_idp_logout_request_ends_that_persons_sessions_and_is_answered_signed,
    an_idp_logout_request_with_a_session_index_ends_only_that_session,
    unsigned_forged_misaddressed_stale_and_replayed_logout_requests_are_refused,
    a_logout_response_is_accepted_once_in_the_browser_that_signed_out,
);

/// The signed-in user's SAML session index, from the session table.
async fn session_indexes(app: &TestApp) -> Vec<String> {
    use sqlx::Row as _;
    sqlx::query("SELECT saml_session_index FROM sessions ORDER BY created_at")
        .fetch_all(app.state.app.db.pool())
        .await
        .unwrap()
        .iter()
        .filter_map(|r| {
            r.try_get::<Option<String>, _>("saml_session_index")
                .unwrap()
        })
        .collect()
}

fn query_value(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The raw value of `name` in a query string, as sent.
fn raw_value<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Verifies a Redirect-binding signature with the certificate in our SP metadata, using
/// OpenSSL's verifier directly (not the code that signed).
async fn assert_signed_by_our_metadata_certificate(app: &TestApp, url: &url::Url) {
    let metadata = app.get("/saml/metadata").await.text().await.unwrap();
    let start = metadata.find("X509Certificate>").unwrap() + "X509Certificate>".len();
    let end = start + metadata[start..].find('<').unwrap();
    let der = base64::engine::general_purpose::STANDARD
        .decode(metadata[start..end].trim())
        .unwrap();
    let key = openssl::x509::X509::from_der(&der)
        .unwrap()
        .public_key()
        .unwrap();
    let query = url.query().unwrap();
    let signed = format!(
        "SAMLRequest={}&SigAlg={}",
        raw_value(query, "SAMLRequest").unwrap(),
        raw_value(query, "SigAlg").unwrap()
    );
    let signature = base64::engine::general_purpose::STANDARD
        .decode(query_value(url, "Signature").unwrap())
        .unwrap();
    let mut verifier = Verifier::new(MessageDigest::sha256(), &key).unwrap();
    verifier.update(signed.as_bytes()).unwrap();
    assert!(
        verifier.verify(&signature).unwrap(),
        "the LogoutRequest signature verifies"
    );
    let mut tampered = Verifier::new(MessageDigest::sha256(), &key).unwrap();
    tampered
        .update(signed.replacen('=', "=A", 1).as_bytes())
        .unwrap();
    assert!(!tampered.verify(&signature).unwrap());
}

async fn signing_out_sends_a_signed_logout_request_and_the_idps_answer_completes_it(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let cookie = session_cookie(&app.sign_in_as("grace@example.com", "/").await).unwrap();
    let out = app.sign_out().await;
    assert_eq!(out.status(), 303);
    let to_idp = url::Url::parse(&location(&out)).unwrap();
    assert_eq!(to_idp.path(), "/dev-idp/slo", "to the IdP's SLO endpoint");
    assert_eq!(
        query_value(&to_idp, "SigAlg").as_deref(),
        Some("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
    );
    assert_signed_by_our_metadata_certificate(&app, &to_idp).await;
    let xml =
        gatehouse_server::saml::logout::inflate(&query_value(&to_idp, "SAMLRequest").unwrap())
            .unwrap();
    assert!(xml.contains(">grace@example.com</saml:NameID>"), "{xml}");
    assert!(xml.contains("<samlp:SessionIndex>_dev-session-"), "{xml}");
    assert!(xml.contains(&format!(
        "Destination=\"{}\"",
        to_idp.as_str().split('?').next().unwrap()
    )));
    assert_eq!(
        app.count("sessions").await,
        0,
        "ended before the IdP was asked"
    );
    assert_eq!(app.me(Some(&cookie)).await.status(), 401);

    // The IdP answers; its LogoutResponse brings the browser back to the sign-in page.
    let idp = app.client.get(to_idp.as_str()).send().await.unwrap();
    assert_eq!(idp.status(), 303);
    let back = location(&idp);
    assert!(
        back.starts_with(&app.url("/saml/slo?SAMLResponse=")),
        "{back}"
    );
    let done = app.client.get(&back).send().await.unwrap();
    assert_eq!(done.status(), 303);
    assert_eq!(location(&done), "/signin");
    // A second delivery of the same answer finds nothing to complete.
    let again = app.client.get(&back).send().await.unwrap();
    assert_eq!(again.status(), 403);
}

async fn an_idp_logout_request_ends_that_persons_sessions_and_is_answered_signed(backend: Backend) {
    let app = spawn_app(backend).await;
    let grace_one = session_cookie(&app.sign_in_as("grace@example.com", "/").await).unwrap();
    let other = app.without_cookies();
    let grace_two = session_cookie(&other.sign_in_as("grace@example.com", "/").await).unwrap();
    let third = app.without_cookies();
    let alan = session_cookie(&third.sign_in_as("alan@example.com", "/").await).unwrap();
    assert_eq!(app.count("sessions").await, 3);

    let idp = app.state.dev_idp.as_ref().unwrap();
    let query = idp
        .logout_request_query(
            &app.url("/saml/slo"),
            "grace@example.com",
            None,
            time::OffsetDateTime::now_utc(),
        )
        .unwrap();
    // From the IdP's browser tab: no Gatehouse cookie needed, every replica's rows go.
    let answer = client()
        .get(format!("{}?{query}", app.url("/saml/slo")))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
    let to_idp = url::Url::parse(&location(&answer)).unwrap();
    assert_eq!(to_idp.path(), "/dev-idp/slo");
    assert!(
        query_value(&to_idp, "Signature").is_some(),
        "the answer is signed"
    );
    let xml =
        gatehouse_server::saml::logout::inflate(&query_value(&to_idp, "SAMLResponse").unwrap())
            .unwrap();
    assert!(
        xml.contains("urn:oasis:names:tc:SAML:2.0:status:Success"),
        "{xml}"
    );

    assert_eq!(app.me(Some(&grace_one)).await.status(), 401);
    assert_eq!(app.me(Some(&grace_two)).await.status(), 401);
    assert_eq!(
        app.me(Some(&alan)).await.status(),
        200,
        "others keep theirs"
    );
    let audit = app
        .count_where("audit_events", "action = 'signout.idp'")
        .await;
    assert_eq!(audit, 1, "one row for the person, naming the two sessions");
}

async fn an_idp_logout_request_with_a_session_index_ends_only_that_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = session_cookie(&app.sign_in_as("grace@example.com", "/").await).unwrap();
    let other = app.without_cookies();
    let second = session_cookie(&other.sign_in_as("grace@example.com", "/").await).unwrap();
    let indexes = session_indexes(&app).await;
    assert_eq!(indexes.len(), 2, "{indexes:?}");
    let idp = app.state.dev_idp.as_ref().unwrap();
    let query = idp
        .logout_request_query(
            &app.url("/saml/slo"),
            "grace@example.com",
            Some(&indexes[0]),
            time::OffsetDateTime::now_utc(),
        )
        .unwrap();
    let answer = client()
        .get(format!("{}?{query}", app.url("/saml/slo")))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
    assert_eq!(app.me(Some(&first)).await.status(), 401);
    assert_eq!(app.me(Some(&second)).await.status(), 200);
}

async fn unsigned_forged_misaddressed_stale_and_replayed_logout_requests_are_refused(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let grace = session_cookie(&app.sign_in_as("grace@example.com", "/").await).unwrap();
    let idp = app.state.dev_idp.as_ref().unwrap();
    let slo = app.url("/saml/slo");
    let now = time::OffsetDateTime::now_utc();
    let signed = |destination: &str, at: time::OffsetDateTime| {
        idp.logout_request_query(destination, "grace@example.com", None, at)
            .unwrap()
    };
    let get = |query: String| {
        let url = format!("{slo}?{query}");
        async move { client().get(url).send().await.unwrap() }
    };

    let good = signed(&slo, now);
    let unsigned = good.split("&SigAlg=").next().unwrap().to_string();
    assert_eq!(get(unsigned).await.status(), 403, "unsigned");

    let forger = gatehouse_server::dev_idp::DevIdp::generate(&app.base).unwrap();
    let forged = forger
        .logout_request_query(&slo, "grace@example.com", None, now)
        .unwrap();
    assert_eq!(get(forged).await.status(), 403, "signed by another key");

    let tampered = good.replacen("SAMLRequest=", "SAMLRequest=A", 1);
    assert_eq!(get(tampered).await.status(), 403, "tampered");

    let misaddressed = signed("https://other.example/saml/slo", now);
    assert_eq!(get(misaddressed).await.status(), 403, "another destination");

    let stale = signed(&slo, now - time::Duration::hours(1));
    assert_eq!(get(stale).await.status(), 403, "an hour old");

    assert_eq!(
        app.me(Some(&grace)).await.status(),
        200,
        "nothing ended yet"
    );
    assert_eq!(get(good.clone()).await.status(), 303, "the genuine request");
    assert_eq!(app.me(Some(&grace)).await.status(), 401);
    assert_eq!(get(good).await.status(), 403, "replayed");
}

async fn a_logout_response_is_accepted_once_in_the_browser_that_signed_out(backend: Backend) {
    let app = spawn_app(backend).await;
    app.sign_in_as("grace@example.com", "/").await;
    let out = app.sign_out().await;
    let to_idp = url::Url::parse(&location(&out)).unwrap();
    let idp_answer = app.client.get(to_idp.as_str()).send().await.unwrap();
    let back = location(&idp_answer);
    // Another browser cannot complete this browser's sign-out.
    let elsewhere = client().get(&back).send().await.unwrap();
    assert_eq!(elsewhere.status(), 403);
    assert!(elsewhere.text().await.unwrap().contains("another browser"));

    // A LogoutResponse cannot consume an AuthnRequest's id (each kind answers its own).
    let (request, _) = app.start_login("/").await;
    let idp = app.state.dev_idp.as_ref().unwrap();
    let cross = idp
        .logout_response_query(
            &app.url("/saml/slo"),
            &request.id,
            None,
            time::OffsetDateTime::now_utc(),
        )
        .unwrap();
    let crossed = app
        .client
        .get(format!("{}?{cross}", app.url("/saml/slo")))
        .send()
        .await
        .unwrap();
    assert_eq!(crossed.status(), 403);
    // The genuine answer, in the browser that signed out, completes it.
    let done = app.client.get(&back).send().await.unwrap();
    assert_eq!(location(&done), "/signin");
}
