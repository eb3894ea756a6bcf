//! The create-key dialog: an optional name, an expiry (never, 7/30/90/365 days, or a date) and
//! the networks the key may be used from.
use crate::model::{now_unix, parse_cidrs, parse_utc_datetime};
use leptos::prelude::*;

/// What the dialog produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyChoice {
    pub name: Option<String>,
    pub expires_at: Option<i64>,
    /// Normalised CIDRs, comma-separated (as the server function takes them).
    pub allowed_cidrs: Option<String>,
}

/// The expiry choice: `never`, a number of days, or `date` with a `YYYY-MM-DD` date.
pub fn expiry_from_choice(choice: &str, date: &str, now: i64) -> Result<Option<i64>, String> {
    match choice {
        "never" => Ok(None),
        "date" => match parse_utc_datetime(date) {
            Some(at) if at > now => Ok(Some(at)),
            Some(_) => Err("Pick a date in the future.".into()),
            None => Err("Pick a date.".into()),
        },
        days => days
            .parse::<i64>()
            .map(|d| Some(now + d * 86_400))
            .map_err(|_| "Pick an expiry.".into()),
    }
}

#[component]
pub fn CreateKeyDialog(
    #[prop(into)] heading: String,
    /// The default expiry choice (`never` for service-account keys).
    #[prop(into)]
    default_expiry: String,
    on_create: Callback<KeyChoice>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let expiry = RwSignal::new(default_expiry);
    let date = RwSignal::new(String::new());
    let networks = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let expires_at =
            match expiry_from_choice(&expiry.get_untracked(), &date.get_untracked(), now_unix()) {
                Ok(at) => at,
                Err(e) => return problem.set(Some(e)),
            };
        let raw = networks.get_untracked();
        let items: Vec<&str> = raw.split([',', ' ', '\n', '\r', '\t']).collect();
        let cidrs = match parse_cidrs(&items) {
            Ok(c) => c,
            Err(e) => return problem.set(Some(e)),
        };
        problem.set(None);
        let trimmed = name.get_untracked().trim().to_string();
        on_create.run(KeyChoice {
            name: (!trimmed.is_empty()).then_some(trimmed),
            expires_at,
            allowed_cidrs: (!cidrs.is_empty()).then(|| cidrs.join(",")),
        });
    };
    let dialog = NodeRef::<leptos::html::Div>::new();
    let keys = super::dialogs::modal_keys(dialog, on_cancel);
    view! {
        <div class="modal-backdrop">
            <div class="modal" role="dialog" aria-modal="true" aria-labelledby="create-key-title"
                node_ref=dialog on:keydown=keys>
                <h2 id="create-key-title">{heading}</h2>
                <form method="dialog" class="stacked-form" on:submit=submit>
                    <label for="key-name">"Name (optional)"</label>
                    <input id="key-name" type="text" maxlength="100" placeholder="e.g. ci-deploy"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                    <label for="key-expiry">"Expires"</label>
                    <select id="key-expiry" prop:value=move || expiry.get()
                        on:change=move |ev| expiry.set(event_target_value(&ev))>
                        <option value="never">"Never"</option>
                        <option value="7">"In 7 days"</option>
                        <option value="30">"In 30 days"</option>
                        <option value="90">"In 90 days"</option>
                        <option value="365">"In 365 days"</option>
                        <option value="date">"On a date…"</option>
                    </select>
                    {move || (expiry.get() == "date").then(|| view! {
                        <label for="key-expiry-date">"Expiry date (UTC)"</label>
                        <input id="key-expiry-date" type="date" prop:value=move || date.get()
                            on:input=move |ev| date.set(event_target_value(&ev)) />
                    })}
                    <label for="key-networks">"Allowed networks (optional)"</label>
                    <textarea id="key-networks" rows="2" placeholder="10.0.0.0/8, 2001:db8::/32"
                        prop:value=move || networks.get() on:input=move |ev| networks.set(event_target_value(&ev))></textarea>
                    <p class="hint">"Requests from anywhere else are refused. Leave empty to allow any address."</p>
                    <p class="field-error" role="alert">{move || problem.get()}</p>
                    <div class="modal-actions">
                        <button class="btn" type="button" on:click=move |_| on_cancel.run(())>"Cancel"</button>
                        <button class="btn btn-primary" type="submit">"Create key"</button>
                    </div>
                </form>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::expiry_from_choice;

    #[test]
    fn expiry_choices() {
        let now = 1_000_000_000;
        assert_eq!(expiry_from_choice("never", "", now), Ok(None));
        assert_eq!(
            expiry_from_choice("30", "", now),
            Ok(Some(now + 30 * 86_400))
        );
        assert_eq!(
            expiry_from_choice("date", "2100-01-01", now),
            Ok(Some(4_102_444_800))
        );
        assert!(expiry_from_choice("date", "1990-01-01", now).is_err());
        assert!(expiry_from_choice("date", "", now).is_err());
    }
}
