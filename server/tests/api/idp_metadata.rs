//! IdP metadata kept current without a restart: certificate rollover from a file, a failed
//! refresh from a URL keeping the last good metadata (and owners told), metadata pinning.
use crate::helpers::*;
use crate::on_both_backends;
use gatehouse_server::dev_idp::{demo_user, DevIdp};
use gatehouse_server::saml::sp_key::SpKey;
use samael::traits::ToXml as _;
use std::sync::{Arc, Mutex};

on_both_backends!(
    an_idp_certificate_rollover_needs_no_restart_and_fails_no_sign_in,
    a_failed_refresh_keeps_the_last_good_metadata_and_owners_see_why,
    pinned_metadata_must_be_signed_by_the_pinned_certificate,
);

const IDP_BASE: &str = "https://idp.example.test";

/// Metadata listing the signing certificates of every IdP in `idps` (one entity id).
fn metadata_of(idps: &[&DevIdp]) -> String {
    let mut metadata = idps[0].metadata();
    let descriptor = &mut metadata.idp_sso_descriptors.as_mut().unwrap()[0];
    descriptor.key_descriptors = idps
        .iter()
        .flat_map(|idp| {
            idp.metadata().idp_sso_descriptors.unwrap()[0]
                .key_descriptors
                .clone()
        })
        .collect();
    metadata.to_string().unwrap()
}

/// Signs in `email` with a response signed by `idp`; true when the console accepted it.
async fn signs_in(app: &TestApp, idp: &DevIdp, email: &str) -> bool {
    let browser = app.without_cookies();
    let (request, _) = browser.start_login("/").await;
    let response = idp.response_for(demo_user(email).unwrap(), &request, chrono::Utc::now());
    let posted = browser
        .post_saml_response(&b64(idp.sign(&response).unwrap()))
        .await;
    match posted.status().as_u16() {
        303 => true,
        403 => false,
        other => panic!("unexpected {other}"),
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

async fn an_idp_certificate_rollover_needs_no_restart_and_fails_no_sign_in(backend: Backend) {
    let old = DevIdp::generate(IDP_BASE).unwrap();
    let new = DevIdp::generate(IDP_BASE).unwrap();
    let dir = std::env::temp_dir().join(format!("gh-md-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("idp.xml");
    std::fs::write(&file, metadata_of(&[&old])).unwrap();
    let app = spawn_app_with(
        backend,
        &[
            ("GATEHOUSE_DEV_IDP", "false"),
            ("GATEHOUSE_IDP_METADATA", file.to_str().unwrap()),
        ],
    )
    .await;
    let certificates = || app.state.saml.status().certificates.len();
    assert!(signs_in(&app, &old, "grace@example.com").await);
    assert!(
        !signs_in(&app, &new, "grace@example.com").await,
        "not yet trusted"
    );
    assert_eq!(certificates(), 1);

    // The IdP publishes old and new side by side: both sign in.
    std::fs::write(&file, metadata_of(&[&old, &new])).unwrap();
    assert!(app.state.saml.refresh(now()).await);
    assert_eq!(certificates(), 2);
    assert!(signs_in(&app, &old, "grace@example.com").await);
    assert!(signs_in(&app, &new, "alan@example.com").await);

    // The old certificate is retired.
    std::fs::write(&file, metadata_of(&[&new])).unwrap();
    assert!(app.state.saml.refresh(now()).await);
    assert_eq!(certificates(), 1);
    assert!(signs_in(&app, &new, "grace@example.com").await);
    assert!(!signs_in(&app, &old, "grace@example.com").await, "retired");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A metadata URL whose answer the test controls.
async fn metadata_server(body: Arc<Mutex<(u16, String)>>) -> String {
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = axum::Router::new().route(
        "/metadata",
        get(move || {
            let body = body.clone();
            async move {
                let (status, text) = body.lock().unwrap().clone();
                (axum::http::StatusCode::from_u16(status).unwrap(), text)
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}/metadata")
}

async fn a_failed_refresh_keeps_the_last_good_metadata_and_owners_see_why(backend: Backend) {
    let idp = DevIdp::generate(IDP_BASE).unwrap();
    let served = Arc::new(Mutex::new((200, metadata_of(&[&idp]))));
    let url = metadata_server(served.clone()).await;
    let app = spawn_app_with(
        backend,
        &[
            ("GATEHOUSE_DEV_IDP", "false"),
            ("GATEHOUSE_IDP_METADATA", url.as_str()),
        ],
    )
    .await;
    let first = app.state.saml.status();
    assert!(first.last_error.is_none());
    assert!(
        first.next_refresh_at.is_some(),
        "a URL is refreshed on a schedule"
    );

    *served.lock().unwrap() = (500, "down for maintenance".into());
    assert!(!app.state.saml.refresh(now()).await);
    let status = app.state.saml.status();
    assert!(
        status.last_error.as_deref().unwrap().contains("500"),
        "{status:?}"
    );
    assert_eq!(
        status.last_refresh_at, first.last_refresh_at,
        "the last good copy"
    );
    assert!(
        signs_in(&app, &idp, "ada@example.com").await,
        "sign-in still works"
    );

    *served.lock().unwrap() = (
        200,
        "<!DOCTYPE x [<!ENTITY e \"e\">]><md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\"/>".into(),
    );
    assert!(!app.state.saml.refresh(now()).await);
    assert!(app
        .state
        .saml
        .status()
        .last_error
        .unwrap()
        .contains("Doctype"));
    assert!(signs_in(&app, &idp, "grace@example.com").await);

    // Owners see the warning through the API (and the console page, from the same status).
    let owner_session = app.without_cookies();
    let (request, _) = owner_session.start_login("/").await;
    let response = idp.response_for(
        demo_user("ada@example.com").unwrap(),
        &request,
        chrono::Utc::now(),
    );
    owner_session
        .post_saml_response(&b64(idp.sign(&response).unwrap()))
        .await;
    let token = owner_session.new_token_via("create_my_token").await;
    let seen: serde_json::Value = app
        .client
        .get(app.url("/api/v1/identity_provider"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        seen["result"]["last_error"]
            .as_str()
            .unwrap()
            .contains("Doctype"),
        "{seen}"
    );
    assert_eq!(
        seen["result"]["entity_id"],
        format!("{IDP_BASE}/dev-idp/metadata")
    );
    assert!(seen["result"]["sp_metadata_xml"]
        .as_str()
        .unwrap()
        .contains("EntityDescriptor"));

    // The IdP is back: the warning clears.
    *served.lock().unwrap() = (200, metadata_of(&[&idp]));
    assert!(app.state.saml.refresh(now()).await);
    assert!(app.state.saml.status().last_error.is_none());
    let me: serde_json::Value = owner_session.me(None).await.json().await.unwrap();
    assert_eq!(me["idp_warning"], false);
}

/// `metadata` signed on its root (given the ID `_md`) with `key`.
fn signed_metadata(metadata: &str, key: &SpKey) -> String {
    let with_id = metadata.replacen(
        "<md:EntityDescriptor ",
        "<md:EntityDescriptor ID=\"_md\" ",
        1,
    );
    let open_end = with_id.find("<md:EntityDescriptor ").unwrap();
    let at = open_end + with_id[open_end..].find('>').unwrap() + 1;
    gatehouse_server::saml::logout::sign_enveloped_at(
        &with_id,
        at,
        "_md",
        key.private_key(),
        &key.certificate_der().unwrap(),
    )
    .unwrap()
}

async fn pinned_metadata_must_be_signed_by_the_pinned_certificate(backend: Backend) {
    let idp = DevIdp::generate(IDP_BASE).unwrap();
    let federation = SpKey::generate("metadata signer").unwrap();
    let dir = std::env::temp_dir().join(format!("gh-pin-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let pin = dir.join("pin.pem");
    std::fs::write(&pin, federation.certificate_pem().unwrap()).unwrap();
    let file = dir.join("idp.xml");
    std::fs::write(&file, signed_metadata(&metadata_of(&[&idp]), &federation)).unwrap();
    let app = spawn_app_with(
        backend,
        &[
            ("GATEHOUSE_DEV_IDP", "false"),
            ("GATEHOUSE_IDP_METADATA", file.to_str().unwrap()),
            ("GATEHOUSE_IDP_METADATA_SIGNING_CERT", pin.to_str().unwrap()),
        ],
    )
    .await;
    assert!(app.state.saml.status().metadata_signature_pinned);
    assert!(signs_in(&app, &idp, "grace@example.com").await);

    // An attacker who can write the file (or answer for the URL) swaps in their own IdP.
    let attacker = DevIdp::generate(IDP_BASE).unwrap();
    std::fs::write(&file, metadata_of(&[&attacker])).unwrap();
    assert!(!app.state.saml.refresh(now()).await, "unsigned");
    let other_signer = SpKey::generate("someone else").unwrap();
    std::fs::write(
        &file,
        signed_metadata(&metadata_of(&[&attacker]), &other_signer),
    )
    .unwrap();
    assert!(
        !app.state.saml.refresh(now()).await,
        "signed by another key"
    );
    let tampered = signed_metadata(&metadata_of(&[&idp]), &federation).replace(
        &metadata_of(&[&idp])[metadata_of(&[&idp]).find("<ds:X509Certificate>").unwrap()..][..60],
        &metadata_of(&[&attacker])[metadata_of(&[&attacker])
            .find("<ds:X509Certificate>")
            .unwrap()..][..60],
    );
    std::fs::write(&file, tampered).unwrap();
    assert!(
        !app.state.saml.refresh(now()).await,
        "tampered after signing"
    );
    assert!(!signs_in(&app, &attacker, "grace@example.com").await);
    assert!(
        signs_in(&app, &idp, "grace@example.com").await,
        "the pinned metadata stays"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
