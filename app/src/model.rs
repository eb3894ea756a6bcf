//! Types that cross the wire between server functions and the browser.
use serde::{Deserialize, Serialize};
use std::fmt;

/// A member's role in the organization. `Owner` is the administrator role.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Collaborator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Collaborator => "collaborator",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        match value {
            "owner" => Some(Role::Owner),
            "collaborator" => Some(Role::Collaborator),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signed-in member and their organization, as the console header shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub user_id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub org_id: String,
    pub org_name: String,
}

/// What the sign-in page needs to know before anyone is signed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInInfo {
    pub org_name: String,
    pub dev_idp: bool,
}

/// A token as lists show it: never the token itself.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    /// The last six characters, the only part ever shown again.
    pub last_six: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A freshly issued token: the only response that ever contains the plaintext.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub token: String,
    pub info: TokenInfo,
}

/// A member of the organization.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub is_service_account: bool,
    pub created_at: i64,
    pub last_sign_in_at: Option<i64>,
}

/// One page of members; `next_paging_token` fetches the next one.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberPage {
    pub results: Vec<Member>,
    pub next_paging_token: Option<String>,
}

/// Formats Unix seconds as `2026-11-23 10:45 UTC` (no time-zone database in the browser bundle).
pub fn format_timestamp(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Civil-from-days (H. Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_format_in_utc() {
        assert_eq!(super::format_timestamp(0), "1970-01-01 00:00 UTC");
        assert_eq!(
            super::format_timestamp(1_795_430_700),
            "2026-11-23 09:25 UTC"
        );
        assert_eq!(super::format_timestamp(951_782_400), "2000-02-29 00:00 UTC");
    }
}
