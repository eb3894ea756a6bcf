//! Users & IAM. The Users tab: everyone sees the members (searchable by email prefix); owners
//! change roles, rotate a
//! member's key and remove members, each behind a confirmation. The server refuses all three
//! for anyone but an owner; the buttons are hidden from collaborators only as a courtesy.
use crate::api::members::{
    list_members, list_removed_members, AllowMemberBack, ChangeRole, RemoveUser, RotateUserKey,
};
use crate::components::dialogs::{ConfirmDialog, NewTokenDialog};
use crate::components::error_box::ErrorBox;
use crate::components::filter_form::FilterForm;
use crate::components::handover::handed_over;
use crate::components::iam_tabs::IamTabs;
use crate::components::pager::Pager;
use crate::components::table_scroll::TableScroll;
use crate::components::toast::say;
use crate::model::{format_timestamp, Me, Member, RemovedMember, Role};
use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_meta::Title;

/// A pending owner action, waiting for confirmation.
#[derive(Clone)]
enum Pending {
    Role(Member, Role),
    Rotate(Member),
    Remove(Member),
}

#[component]
pub fn IamPage() -> impl IntoView {
    view! {
        <Title text="Users & IAM" />
        <h1>"Users & IAM"</h1>
        <IamTabs active="/iam/users" />
        <MembersManager />
    }
}

/// The members list and what owners do to members (an island: it lists again after an action).
/// Who is looking (owner or not, and their id) is handed over in `#members`' attributes.
#[island(lazy)]
fn MembersManager() -> impl IntoView {
    let is_owner = handed_over("members", "owner", || {
        use_context::<Me>()
            .is_some_and(|m| m.role == Role::Owner)
            .to_string()
    }) == "true";
    let my_id = handed_over("members", "me", || {
        use_context::<Me>().map(|m| m.user_id).unwrap_or_default()
    });
    let me_attribute = my_id.clone();
    let change_role = ServerAction::<ChangeRole>::new();
    let rotate = ServerAction::<RotateUserKey>::new();
    let remove = ServerAction::<RemoveUser>::new();
    // Paging: a stack of tokens, the last one is the page shown.
    let pages = RwSignal::new(vec![None::<String>]);
    let filter = RwSignal::new(String::new());
    let members = crate::wire::resource(
        move || {
            (
                filter.get(),
                pages.get().last().cloned().flatten(),
                change_role.version().get(),
                remove.version().get(),
            )
        },
        |(email, token, _, _)| list_members(token, Some(false), Some(email)),
    );
    let pending = RwSignal::new(None::<Pending>);
    let rotated = rotate.value();
    // Removing a member also revokes the service-account keys they created, unless unticked.
    let revoke_created = RwSignal::new(true);

    let confirm = move |p: Pending| match p {
        Pending::Role(m, role) => change_role.dispatch(ChangeRole {
            user_id: m.id,
            role,
        }),
        Pending::Rotate(m) => rotate.dispatch(RotateUserKey { user_id: m.id }),
        Pending::Remove(m) => remove.dispatch(RemoveUser {
            user_id: m.id,
            revoke_created_keys: Some(revoke_created.get_untracked()),
        }),
    };
    let action_error = move || {
        change_role
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| rotate.value().get().and_then(Result::err))
            .or_else(|| remove.value().get().and_then(Result::err))
    };

    view! {
        <section class="card" id="members" data-owner=is_owner.to_string() data-me=me_attribute>
            <p class="hint">
                "Members are created when they first sign in through SSO. "
                {if is_owner { "As an owner you can change roles, rotate a member's CLI key and remove members." }
                 else { "Only owners can change roles or remove members." }}
            </p>
            <FilterForm filter pages id="member-filter" label="Email"
                placeholder="prefix, e.g. grace" />
            {move || action_error().map(|error| view! { <ErrorBox error /> })}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || {
                    let my_id = my_id.clone();
                    Suspend::new(async move {
                    match members.await {
                        Ok(page) if page.results.is_empty() => EitherOf3::A(view! {
                            <p class="empty" data-testid="no-members">
                                {if filter.get_untracked().is_empty() { "No members yet." } else { "No member's email starts with that." }}
                            </p>
                        }),
                        Ok(page) => {
                            let next = page.next_paging_token.clone();
                            EitherOf3::B(view! {
                                <TableScroll label="Members"><table class="table" data-testid="member-table">
                                    <thead><tr>
                                        <th>"Email"</th><th>"Name"</th><th>"Role"</th><th>"Last sign-in"</th>
                                        {is_owner.then(|| view! { <th class="actions">"Actions"</th> })}
                                    </tr></thead>
                                    <tbody>
                                        {page.results.into_iter().map(|m| {
                                            let row_label = m.email.clone();
                                            let is_me = m.id == my_id;
                                            let other_role = if m.role == Role::Owner { Role::Collaborator } else { Role::Owner };
                                            let (m1, m2, m3) = (m.clone(), m.clone(), m.clone());
                                            view! {
                                                <tr data-email=row_label.clone()>
                                                    <td>{m.email.clone()} {is_me.then(|| view! { <span class="badge">"you"</span> })}</td>
                                                    <td>{m.name.clone()}</td>
                                                    <td><span data-testid="member-role" class=if m.role == Role::Owner { "badge badge-owner" } else { "badge" }>{m.role.as_str()}</span></td>
                                                    <td>{m.last_sign_in_at.map(format_timestamp).unwrap_or_else(|| "never".into())}</td>
                                                    {is_owner.then(|| view! {
                                                        <td class="actions">
                                                            <button class="btn btn-small" on:click=move |_| pending.set(Some(Pending::Role(m1.clone(), other_role)))>
                                                                {format!("Make {}", other_role.as_str())}
                                                            </button>
                                                            <button class="btn btn-small" on:click=move |_| pending.set(Some(Pending::Rotate(m2.clone())))>"Rotate key"</button>
                                                            <button class="btn btn-small btn-danger-quiet" on:click=move |_| pending.set(Some(Pending::Remove(m3.clone())))>"Remove"</button>
                                                        </td>
                                                    })}
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table></TableScroll>
                                <Pager pages next />
                            })
                        }
                        Err(error) => EitherOf3::C(view! { <ErrorBox error /> }),
                    }
                })}}
            </Transition>
        </section>
        {is_owner.then(|| view! { <RemovedMembers removals=remove.version() /> })}
        {move || pending.get().map(|p| {
            let (title, message, label) = match &p {
                Pending::Role(m, role) => (
                    format!("Make {} {}?", m.email, if *role == Role::Owner { "an owner" } else { "a collaborator" }),
                    if *role == Role::Owner {
                        "Owners can manage every member, key and service account of the organization.".to_string()
                    } else {
                        "They lose owner rights on their next request.".to_string()
                    },
                    format!("Make {}", role.as_str()),
                ),
                Pending::Rotate(m) => (
                    format!("Rotate {}'s key?", m.email),
                    "All of their CLI tokens stop working now. You get one new token to hand over; it is shown once.".to_string(),
                    "Rotate key".to_string(),
                ),
                Pending::Remove(m) => (
                    format!("Remove {}?", m.email),
                    "Their tokens are revoked and their sessions end now. They cannot sign in again, even if your identity provider still lets them, until an owner allows them back (under Removed members).".to_string(),
                    "Remove member".to_string(),
                ),
            };
            let p2 = p.clone();
            let removing = matches!(p, Pending::Remove(_));
            if removing {
                revoke_created.set(true);
            }
            view! {
                <ConfirmDialog title message confirm_label=label
                    on_confirm=Callback::new(move |_| { pending.set(None); confirm(p2.clone()); })
                    on_cancel=Callback::new(move |_| pending.set(None))>
                    {removing.then(|| view! {
                        <label class="check">
                            <input type="checkbox" prop:checked=move || revoke_created.get()
                                on:change=move |ev| revoke_created.set(event_target_checked(&ev)) />
                            " Also revoke the service-account keys they created (recommended: a key an owner made keeps owner access)"
                        </label>
                    })}
                </ConfirmDialog>
            }
        })}
        {move || match rotated.get() {
            Some(Ok(token)) => Some(view! {
                <NewTokenDialog token heading="New key for hand-over" on_close=Callback::new(move |_| rotated.set(None)) />
            }),
            _ => None,
        }}
    }
}

/// Owners: the people removed from the organization, who cannot sign in until allowed back.
#[component]
fn RemovedMembers(removals: RwSignal<usize>) -> impl IntoView {
    let allow = ServerAction::<AllowMemberBack>::new();
    let removed = crate::wire::resource(
        move || (removals.get(), allow.version().get()),
        |_| list_removed_members(),
    );
    let pending = RwSignal::new(None::<RemovedMember>);
    Effect::new(move |_| {
        if let Some(Ok(())) = allow.value().get() {
            say("Allowed back: their next sign-in makes them a member again.");
        }
    });
    view! {
        <section class="card" data-testid="removed-members">
            <h2>"Removed members"</h2>
            <p class="hint">
                "People removed here cannot sign in, even if your identity provider still lets them; \
                 they are told an owner removed them. Allow someone back and their next sign-in makes \
                 them a member again, with the role their groups give."
            </p>
            {move || allow.value().get().and_then(Result::err).map(|error| view! { <ErrorBox error /> })}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match removed.await {
                        Ok(list) if list.is_empty() => EitherOf3::A(view! {
                            <p class="empty" data-testid="no-removed-members">"Nobody has been removed."</p>
                        }),
                        Ok(list) => EitherOf3::B(view! {
                            <TableScroll label="Removed members"><table class="table" data-testid="removed-table">
                                <thead><tr><th>"Email"</th><th>"Removed"</th><th>"By"</th><th class="actions">"Actions"</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|r| {
                                        let chosen = r.clone();
                                        view! {
                                            <tr data-email=r.email.clone()>
                                                <td>{r.email.clone()}</td>
                                                <td>{format_timestamp(r.removed_at)}</td>
                                                <td>{r.removed_by.clone().unwrap_or_else(|| "—".into())}</td>
                                                <td class="actions">
                                                    <button class="btn" on:click=move |_| pending.set(Some(chosen.clone()))>"Allow back"</button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table></TableScroll>
                        }),
                        Err(error) => EitherOf3::C(view! { <ErrorBox error /> }),
                    }
                })}
            </Transition>
        </section>
        {move || pending.get().map(|r| {
            let email = r.email.clone();
            view! {
                <ConfirmDialog
                    title=format!("Allow {} back?", r.email)
                    message="Their next sign-in through your identity provider makes them a member again. Their old tokens stay revoked.".to_string()
                    confirm_label="Allow back".to_string()
                    on_confirm=Callback::new(move |_| {
                        pending.set(None);
                        allow.dispatch(AllowMemberBack { email: email.clone() });
                    })
                    on_cancel=Callback::new(move |_| pending.set(None)) />
            }
        })}
    }
}
