//! Users & IAM → Identity provider (owners): the IdP the console trusts, whether its metadata
//! is current, its certificates and when they expire, and the SP metadata to hand to the IdP.
use crate::api::identity_provider::get_identity_provider;
use crate::components::dialogs::CopyButton;
use crate::components::error_box::ErrorBox;
use crate::components::iam_tabs::{IamTabs, OwnersOnly};
use crate::components::table_scroll::TableScroll;
use crate::model::{
    expiry_text, format_timestamp, now_unix, IdentityProvider, IdpCertificate, Me, Role,
};
use crate::urls;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn IdentityProviderPage() -> impl IntoView {
    let is_owner = use_context::<Me>().is_some_and(|m| m.role == Role::Owner);
    view! {
        <Title text="Identity provider" />
        <h1>"Users & IAM"</h1>
        <IamTabs active=urls::IAM_IDENTITY_PROVIDER />
        {if is_owner {
            view! { <IdpStatus /> }.into_any()
        } else {
            view! { <OwnersOnly what="The identity provider settings" /> }.into_any()
        }}
    }
}

/// The identity provider as the server sees it: server HTML (nothing here changes in the
/// browser), with one island, the button that copies the SP metadata.
#[component]
fn IdpStatus() -> impl IntoView {
    let details = Suspend::new(async move {
        match get_identity_provider().await {
            Ok(idp) => view! { <IdpDetails idp /> }.into_any(),
            Err(error) => view! { <ErrorBox error /> }.into_any(),
        }
    });
    view! { <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>{details}</Suspense> }
}

/// "Copy XML" for the SP metadata shown below it (it copies the text of that element).
#[island(lazy)]
fn CopyMetadataButton() -> impl IntoView {
    view! { <CopyButton target_id="sp-metadata-xml" label="Copy XML" /> }
}

#[component]
fn IdpDetails(idp: IdentityProvider) -> impl IntoView {
    let now = now_unix();
    let warning = idp.last_error.clone().map(|error| {
        let since = idp
            .last_refresh_at
            .map(format_timestamp)
            .unwrap_or_else(|| "start-up".to_string());
        view! {
            <div class="banner banner-warning" role="alert" data-testid="idp-refresh-warning">
                <strong>"The identity provider's metadata could not be refreshed. "</strong>
                "Sign-in keeps working with the metadata loaded at " {since} ". "
                "The last attempt said: " <code>{error}</code>
            </div>
        }
    });
    let certificates = idp.certificates.clone();
    let xml = idp.sp_metadata_xml.clone();
    view! {
        {warning}
        <section class="card" data-testid="idp-details">
            <h2>"Identity provider"</h2>
            <dl class="facts">
                <dt>"Entity ID"</dt><dd><code data-testid="idp-entity-id">{idp.entity_id.clone()}</code></dd>
                <dt>"Metadata from"</dt><dd>{idp.metadata_source.clone()}</dd>
                <dt>"Sign-on URL"</dt><dd><code>{idp.sso_url.clone()}</code></dd>
                <dt>"Single logout"</dt>
                <dd>{idp.slo_url.clone().unwrap_or_else(|| "not offered by the identity provider".to_string())}</dd>
                <dt>"Last refreshed"</dt>
                <dd data-testid="idp-last-refresh">{idp.last_refresh_at.map(format_timestamp).unwrap_or_else(|| "never".to_string())}</dd>
                {idp.next_refresh_at.map(|t| view! { <dt>"Next refresh"</dt><dd>{format_timestamp(t)}</dd> })}
                <dt>"Metadata signature"</dt>
                <dd>{if idp.metadata_signature_pinned { "required, by the pinned certificate" } else { "not required" }}</dd>
            </dl>
            <h3>"Signing certificates"</h3>
            <p class="hint">"Every certificate listed in the metadata is trusted, so the identity provider can roll its certificate over without a restart."</p>
            <TableScroll label="Signing certificates">
                <table class="table" data-testid="idp-certificates">
                    <thead><tr><th>"Subject"</th><th>"Valid until"</th><th>"SHA-256 fingerprint"</th></tr></thead>
                    <tbody>
                        {certificates.into_iter().map(|c: IdpCertificate| {
                            let expiry = expiry_text(Some(c.not_after), now);
                            let soon = c.not_after - now < 30 * 86_400;
                            view! {
                                <tr>
                                    <td>{c.subject}</td>
                                    <td>{format_timestamp(c.not_after)}<br/>
                                        <span class=if soon { "hint warning-text" } else { "hint" }>{expiry}</span></td>
                                    <td><code class="fingerprint">{c.sha256_fingerprint}</code></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </TableScroll>
        </section>
        <section class="card">
            <h2>"Gatehouse's metadata, for the identity provider"</h2>
            <p>"Give this to your identity provider's administrator, or point the identity provider at its URL."</p>
            <dl class="facts">
                <dt>"Entity ID"</dt><dd><code>{idp.sp_entity_id.clone()}</code></dd>
                <dt>"Metadata URL"</dt><dd><code data-testid="sp-metadata-url">{idp.sp_metadata_url.clone()}</code></dd>
            </dl>
            <div class="actions">
                <CopyMetadataButton />
                <a class="btn btn-quiet" href=urls::SAML_METADATA download="gatehouse-sp-metadata.xml">"Download XML"</a>
            </div>
            <pre class="xml" id="sp-metadata-xml" data-testid="sp-metadata-xml" tabindex="0">{xml}</pre>
        </section>
    }
}
