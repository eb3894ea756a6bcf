//! Runs the built `gatehouse` binary against the real server (port 0, fresh SQLite), with
//! owner and collaborator tokens created through the service layer.
use app::model::Role;
use app::server::actor::Actor;
use app::server::clock::Clock;
use app::server::credentials;
use app::server::tokens::TokenKind;
use app::server::users::{self, SignInProfile};
use gatehouse_server::config::Config;
use gatehouse_server::Application;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

struct Server {
    base: String,
    dir: PathBuf,
    owner_token: String,
    collaborator_token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn server() -> Server {
    let dir = std::env::temp_dir().join(format!("gatehouse-cli-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let env: HashMap<String, String> = HashMap::from([
        ("GATEHOUSE_PUBLIC_URL".into(), base.clone()),
        ("GATEHOUSE_METRICS_ADDR".into(), "127.0.0.1:0".into()),
        (
            "GATEHOUSE_DATABASE_URL".into(),
            format!("sqlite://{}/db.sqlite", dir.display()),
        ),
    ]);
    let config = Config::from_sources(None, &|k| env.get(k).cloned()).unwrap();
    let app = Application::build_on(listener, config, Clock::system())
        .await
        .unwrap();
    let state = app.state().app.clone();
    tokio::spawn(app.run());
    let mut tokens = Vec::new();
    for (email, role) in [
        ("owner@example.com", Role::Owner),
        ("collab@example.com", Role::Collaborator),
    ] {
        let mut tx = state.db.begin_write().await.unwrap();
        let profile = SignInProfile {
            email: email.into(),
            display_name: email.into(),
            initial_role: role,
        };
        let user = users::upsert_on_sign_in(&mut tx, &state.org.id, &profile, state.clock.unix())
            .await
            .unwrap();
        let actor = Actor::from_user(&user);
        let new = credentials::insert_token(
            &mut tx,
            &state.org.id,
            TokenKind::User,
            &user.id,
            "cli test",
            &actor,
            state.clock.unix(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        tokens.push(new.token);
    }
    Server {
        base,
        dir,
        collaborator_token: tokens.pop().unwrap(),
        owner_token: tokens.pop().unwrap(),
    }
}

fn uuid_like() -> String {
    format!(
        "{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

impl Server {
    fn credentials_file(&self) -> PathBuf {
        self.dir
            .join("home")
            .join(".gatehouse")
            .join("credentials.json")
    }

    /// Runs `gatehouse` with a clean environment: only what the test passes.
    fn run(&self, token: Option<&str>, args: &[&str], stdin: Option<&str>) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
        command
            .args(args)
            .env_clear()
            .env("HOME", self.dir.join("home"))
            .env("GATEHOUSE_HOST", &self.base)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(t) = token {
            command.env("GATEHOUSE_CLI_TOKEN", t);
        }
        let mut child = command.spawn().unwrap();
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        } else {
            drop(child.stdin.take());
        }
        child.wait_with_output().unwrap()
    }
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whoami_login_and_logout() {
    let s = server().await;
    let whoami = s.run(Some(&s.owner_token), &["whoami"], None);
    assert_eq!(code(&whoami), 0, "{:?}", text(&whoami));
    assert!(text(&whoami).0.contains("owner@example.com"));
    let json = s.run(Some(&s.owner_token), &["whoami", "--output", "json"], None);
    let me: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(me["role"], "owner");

    // No token anywhere: a clear refusal.
    let none = s.run(None, &["whoami"], None);
    assert_eq!(code(&none), 1);
    assert!(
        text(&none).1.contains("gatehouse login"),
        "{:?}",
        text(&none)
    );

    // A bad token is not stored.
    let bad = s.run(None, &["login"], Some("gtu_not-a-token\n"));
    assert_eq!(code(&bad), 1);
    assert!(!s.credentials_file().exists());

    let login = s.run(
        None,
        &["login"],
        Some(&format!("{}\n", s.collaborator_token)),
    );
    assert_eq!(code(&login), 0, "{:?}", text(&login));
    assert!(
        !text(&login).0.contains(&s.collaborator_token)
            && !text(&login).1.contains(&s.collaborator_token)
    );
    assert_owner_only(&s.credentials_file());
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.credentials_file()).unwrap()).unwrap();
    assert_eq!(
        stored["hosts"][&s.base]["token"],
        s.collaborator_token.as_str()
    );
    assert_eq!(stored["current"], s.base.as_str());
    let from_file = s.run(None, &["whoami"], None);
    assert!(
        text(&from_file).0.contains("collab@example.com"),
        "{:?}",
        text(&from_file)
    );

    assert_eq!(code(&s.run(None, &["logout"], None)), 0);
    assert!(!s.credentials_file().exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_accounts_and_keys_from_the_command_line() {
    let s = server().await;
    let owner = Some(s.owner_token.as_str());
    let created = s.run(
        owner,
        &["service-account", "create", "--name", "etl-prod"],
        None,
    );
    assert_eq!(code(&created), 0, "{:?}", text(&created));
    assert!(text(&created).0.contains("etl-prod@org-"));

    let bad = s.run(
        owner,
        &["service-account", "create", "--name", "Bad_Name"],
        None,
    );
    assert_eq!(code(&bad), 1);
    assert!(
        text(&bad)
            .1
            .contains("only lowercase letters, digits and hyphens"),
        "{:?}",
        text(&bad)
    );

    let usage = s.run(owner, &["service-account", "create"], None);
    assert_eq!(code(&usage), 2, "missing --name is a usage error");

    for n in 0..3 {
        s.run(
            owner,
            &["service-account", "create", "--name", &format!("batch-{n}")],
            None,
        );
    }
    let listed = s.run(owner, &["service-account", "list"], None);
    let (table, _) = text(&listed);
    assert!(
        table.starts_with("NAME") && table.contains("etl-prod") && table.contains("batch-2"),
        "{table}"
    );
    let limited = s.run(
        owner,
        &[
            "service-account",
            "list",
            "--max-items",
            "2",
            "--output",
            "json",
        ],
        None,
    );
    let limited: Vec<serde_json::Value> = serde_json::from_slice(&limited.stdout).unwrap();
    assert_eq!(limited.len(), 2);
    let by_email = s.run(
        owner,
        &["service-account", "list", "--email", "batch-", "-o", "json"],
        None,
    );
    assert_eq!(
        serde_json::from_slice::<Vec<serde_json::Value>>(&by_email.stdout)
            .unwrap()
            .len(),
        3
    );

    let key = s.run(
        owner,
        &[
            "service-account",
            "create-api-key",
            "--name",
            "etl-prod",
            "--output",
            "json",
        ],
        None,
    );
    assert_eq!(code(&key), 0, "{:?}", text(&key));
    let key: serde_json::Value = serde_json::from_slice(&key.stdout).unwrap();
    let key = key["token"].as_str().unwrap().to_string();
    assert!(key.starts_with("gts_"));

    let as_account = s.run(Some(&key), &["whoami", "-o", "json"], None);
    let me: serde_json::Value = serde_json::from_slice(&as_account.stdout).unwrap();
    assert_eq!(me["kind"], "service_account");

    let keys = s.run(owner, &["api-key", "list", "--email", "etl-prod@"], None);
    let (keys_table, _) = text(&keys);
    assert!(
        keys_table.contains(&format!("…{}", &key[key.len() - 6..])),
        "{keys_table}"
    );
    assert!(!keys_table.contains(&key), "a listing never prints a key");

    let revoked = s.run(
        owner,
        &[
            "service-account",
            "revoke-all-api-keys",
            "--name",
            "etl-prod",
        ],
        None,
    );
    assert!(
        text(&revoked).0.contains("Revoked 1 keys"),
        "{:?}",
        text(&revoked)
    );
    let dead = s.run(Some(&key), &["whoami"], None);
    assert_eq!(code(&dead), 1);
    assert!(text(&dead).1.contains("revoked"), "{:?}", text(&dead));

    let second = s.run(
        owner,
        &[
            "service-account",
            "create-api-key",
            "--name",
            "etl-prod",
            "-o",
            "json",
        ],
        None,
    );
    let second: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    let second_key = second["token"].as_str().unwrap().to_string();
    let key_id = second["info"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        code(&s.run(owner, &["api-key", "revoke", &key_id], None)),
        0
    );
    assert_eq!(code(&s.run(Some(&second_key), &["whoami"], None)), 1);

    let unconfirmed = s.run(
        owner,
        &["service-account", "delete", "--name", "etl-prod"],
        None,
    );
    assert_eq!(
        code(&unconfirmed),
        2,
        "no confirmation off a terminal without --yes"
    );
    let deleted = s.run(
        owner,
        &["service-account", "delete", "--name", "etl-prod", "--yes"],
        None,
    );
    assert_eq!(code(&deleted), 0, "{:?}", text(&deleted));
    let gone = s.run(
        owner,
        &["service-account", "list", "--email", "etl", "-o", "json"],
        None,
    );
    assert_eq!(
        serde_json::from_slice::<Vec<serde_json::Value>>(&gone.stdout)
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_say_what_is_wrong() {
    let s = server().await;
    let collab = s.run(
        Some(&s.collaborator_token),
        &["service-account", "create", "--name", "sneaky"],
        None,
    );
    assert_eq!(code(&collab), 1);
    assert!(
        text(&collab).1.contains("owner role"),
        "{:?}",
        text(&collab)
    );

    let unreachable = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args([
            "whoami",
            "--host",
            "http://127.0.0.1:9",
            "--token",
            &s.owner_token,
        ])
        .env_clear()
        .env("HOME", s.dir.join("home"))
        .output()
        .unwrap();
    assert_eq!(code(&unreachable), 1);
    let (_, err) = text(&unreachable);
    assert!(err.contains("cannot reach http://127.0.0.1:9"), "{err}");
    assert!(!err.contains(&s.owner_token), "never print a token");
}

/// The credentials file and its directory are readable by their owner only.
fn assert_owner_only(file: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(file), 0o600, "credentials file mode {:o}", mode(file));
        let dir = file.parent().unwrap();
        assert_eq!(
            mode(dir),
            0o700,
            "credentials directory mode {:o}",
            mode(dir)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_credentials_updates_the_file_they_came_from() {
    let s = server().await;
    let login = s.run(None, &["login"], Some(&s.collaborator_token));
    assert_eq!(code(&login), 0, "{:?}", text(&login));
    assert_owner_only(&s.credentials_file());
    let rotated = s.run(None, &["credentials", "rotate"], None);
    assert_eq!(code(&rotated), 0, "{:?}", text(&rotated));
    assert_owner_only(&s.credentials_file());
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.credentials_file()).unwrap()).unwrap();
    let new = stored["hosts"][&s.base]["token"].as_str().unwrap();
    assert_ne!(new, s.collaborator_token);
    assert!(!text(&rotated).0.contains(new), "stored, not printed");
    assert_eq!(
        code(&s.run(Some(&s.collaborator_token), &["whoami"], None)),
        1,
        "old token dead"
    );
    assert_eq!(
        code(&s.run(None, &["whoami"], None)),
        0,
        "the file's new token works"
    );

    // From the environment, the new token is printed (there is nowhere to store it).
    let env_rotated = s.run(Some(&s.owner_token), &["credentials", "rotate"], None);
    assert!(text(&env_rotated)
        .0
        .contains("export GATEHOUSE_CLI_TOKEN=gtu_"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_list_members_and_rotate_their_keys() {
    let s = server().await;
    let list = s.run(Some(&s.owner_token), &["user", "list", "-o", "json"], None);
    let members: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(members.len(), 2);
    let collab_id = members
        .iter()
        .find(|m| m["email"] == "collab@example.com")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = s.run(
        Some(&s.collaborator_token),
        &["user", "rotate-key", "--user-id", &collab_id],
        None,
    );
    assert_eq!(code(&refused), 1);
    let rotated = s.run(
        Some(&s.owner_token),
        &["user", "rotate-key", "--user-id", &collab_id],
        None,
    );
    assert_eq!(code(&rotated), 0, "{:?}", text(&rotated));
    assert_eq!(
        code(&s.run(Some(&s.collaborator_token), &["whoami"], None)),
        1
    );
    let unconfirmed = s.run(
        Some(&s.owner_token),
        &["user", "remove", "--user-id", &collab_id],
        None,
    );
    assert_eq!(
        code(&unconfirmed),
        2,
        "no terminal, no --yes: {:?}",
        text(&unconfirmed)
    );
    let removed = s.run(
        Some(&s.owner_token),
        &["user", "remove", "--user-id", &collab_id, "--yes"],
        None,
    );
    assert_eq!(code(&removed), 0, "{:?}", text(&removed));
    assert!(text(&removed)
        .0
        .contains("revoke the service-account keys they created"));
    let list = s.run(Some(&s.owner_token), &["user", "list", "-o", "json"], None);
    let members: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(members.len(), 1);
    // The removed person is listed until allowed back.
    let removed = s.run(
        Some(&s.owner_token),
        &["user", "removed", "-o", "json"],
        None,
    );
    let removed: Vec<serde_json::Value> = serde_json::from_slice(&removed.stdout).unwrap();
    assert_eq!(removed.len(), 1);
    let email = removed[0]["email"].as_str().unwrap().to_string();
    let back = s.run(Some(&s.owner_token), &["user", "allow-back", &email], None);
    assert_eq!(code(&back), 0, "{:?}", text(&back));
    assert!(text(&back).0.contains("may sign in again"));
    let again = s.run(Some(&s.owner_token), &["user", "allow-back", &email], None);
    assert_eq!(
        code(&again),
        1,
        "not on the list any more: {:?}",
        text(&again)
    );
    let none = s.run(Some(&s.owner_token), &["user", "removed"], None);
    assert!(text(&none).0.contains("Nobody has been removed."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_credentials_file_can_live_elsewhere_and_names_the_host() {
    let s = server().await;
    let elsewhere = s.dir.join("vault").join("gatehouse.json");
    let run = |args: &[&str], stdin: Option<&str>, host: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
        command
            .args(args)
            .env_clear()
            .env("HOME", s.dir.join("home"))
            .env("GATEHOUSE_CREDENTIALS_FILE", &elsewhere)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if host {
            command.env("GATEHOUSE_HOST", &s.base);
        }
        let mut child = command.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
        drop(input);
        child.wait_with_output().unwrap()
    };
    let login = run(&["login"], Some(&format!("{}\n", s.owner_token)), true);
    assert_eq!(code(&login), 0, "{:?}", text(&login));
    assert!(
        elsewhere.exists(),
        "written where GATEHOUSE_CREDENTIALS_FILE says"
    );
    assert!(!s.credentials_file().exists(), "not in the home directory");
    assert_owner_only(&elsewhere);
    // No GATEHOUSE_HOST, no --host: the host comes from the file too.
    let whoami = run(&["whoami"], None, false);
    assert_eq!(code(&whoami), 0, "{:?}", text(&whoami));
    assert!(
        text(&whoami).0.contains("owner@example.com"),
        "{:?}",
        text(&whoami)
    );
    // A 404 says what was not found.
    let missing = run(
        &[
            "service-account",
            "delete",
            "--name",
            "no-such-bot",
            "--yes",
        ],
        None,
        false,
    );
    assert_eq!(code(&missing), 1);
    let (_, err) = text(&missing);
    assert!(
        err.contains("not found") && err.contains("no-such-bot"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_guarded_like_an_ssh_key() {
    let s = server().await;
    let login = s.run(None, &["login"], Some(&format!("{}\n", s.owner_token)));
    assert_eq!(code(&login), 0, "{:?}", text(&login));
    // Readable by others: refused, with the fix.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let file = s.credentials_file();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = s.run(None, &["whoami"], None);
        assert_eq!(code(&refused), 1);
        assert!(
            text(&refused).1.contains("chmod 600"),
            "{:?}",
            text(&refused)
        );
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    // The stored token goes only to its own host.
    let elsewhere = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["whoami", "--host", "http://127.0.0.2:9"])
        .env_clear()
        .env("HOME", s.dir.join("home"))
        .output()
        .unwrap();
    assert_eq!(code(&elsewhere), 1);
    let err = String::from_utf8_lossy(&elsewhere.stderr);
    assert!(
        err.contains("no token is stored for http://127.0.0.2:9"),
        "{err}"
    );
    assert!(
        err.contains("no token"),
        "refused before any request: {err}"
    );
    // Plain http beyond this machine needs --insecure; nothing is sent without it.
    let plain = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["whoami", "--host", "http://gatehouse.invalid"])
        .env_clear()
        .env("HOME", s.dir.join("home"))
        .env("GATEHOUSE_CLI_TOKEN", &s.owner_token)
        .output()
        .unwrap();
    assert_eq!(code(&plain), 2);
    assert!(String::from_utf8_lossy(&plain.stderr).contains("--insecure"));
    // --token works, with a warning about shell history.
    let flagged = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["whoami", "--host", &s.base, "--token", &s.owner_token])
        .env_clear()
        .env("HOME", s.dir.join("nobody"))
        .output()
        .unwrap();
    assert_eq!(code(&flagged), 0);
    assert!(String::from_utf8_lossy(&flagged.stderr).contains("shell history"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_account_key_rotates_itself_from_the_command_line() {
    let s = server().await;
    let created = s.run(
        Some(&s.owner_token),
        &["service-account", "create", "--name", "self-rotator"],
        None,
    );
    assert_eq!(code(&created), 0, "{:?}", text(&created));
    let key = s.run(
        Some(&s.owner_token),
        &[
            "service-account",
            "create-api-key",
            "--name",
            "self-rotator",
        ],
        None,
    );
    assert_eq!(code(&key), 0, "{:?}", text(&key));
    let key_token = text(&key)
        .0
        .split_whitespace()
        .find(|w| w.starts_with("gts_"))
        .unwrap()
        .to_string();
    let rotated = s.run(Some(&key_token), &["credentials", "rotate"], None);
    assert_eq!(code(&rotated), 0, "{:?}", text(&rotated));
    let new = text(&rotated)
        .0
        .split_whitespace()
        .find(|w| w.starts_with("gts_"))
        .unwrap()
        .to_string();
    assert_ne!(new, key_token);
    assert_eq!(code(&s.run(Some(&key_token), &["whoami"], None)), 1);
    assert_eq!(code(&s.run(Some(&new), &["whoami"], None)), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_see_the_identity_provider_and_the_sp_metadata() {
    let s = server().await;
    let shown = s.run(Some(&s.owner_token), &["idp", "show"], None);
    assert_eq!(code(&shown), 0, "{:?}", text(&shown));
    let (out, _) = text(&shown);
    assert!(out.contains("/dev-idp/metadata"), "{out}");
    assert!(out.contains("CN=Gatehouse development IdP"), "{out}");
    let json = s.run(Some(&s.owner_token), &["idp", "show", "-o", "json"], None);
    let idp: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(idp["certificates"].as_array().unwrap().len(), 1);
    let metadata = s.run(Some(&s.owner_token), &["idp", "sp-metadata"], None);
    assert!(text(&metadata).0.contains("SPSSODescriptor"));
    let refused = s.run(Some(&s.collaborator_token), &["idp", "show"], None);
    assert_eq!(code(&refused), 1);
    assert!(text(&refused).1.contains("owner"), "{:?}", text(&refused));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emergency_revoke_from_the_command_line_counts_confirms_and_revokes() {
    let s = server().await;
    let owner = Some(s.owner_token.as_str());
    assert_eq!(
        code(&s.run(
            owner,
            &["service-account", "create", "--name", "leaky"],
            None
        )),
        0
    );
    let key = s.run(
        owner,
        &[
            "service-account",
            "create-api-key",
            "--name",
            "leaky",
            "-o",
            "json",
        ],
        None,
    );
    let key: serde_json::Value = serde_json::from_slice(&key.stdout).unwrap();
    let key = key["token"].as_str().unwrap().to_string();
    let dry = s.run(
        owner,
        &[
            "api-key",
            "revoke-matching",
            "--kind",
            "service-account",
            "--dry-run",
        ],
        None,
    );
    assert_eq!(code(&dry), 0, "{:?}", text(&dry));
    assert!(
        text(&dry).0.contains("1 live keys match"),
        "{:?}",
        text(&dry)
    );
    let unconfirmed = s.run(
        owner,
        &["api-key", "revoke-matching", "--kind", "service-account"],
        None,
    );
    assert_eq!(code(&unconfirmed), 2, "no terminal, no --yes");
    assert_eq!(
        code(&s.run(Some(&key), &["whoami"], None)),
        0,
        "still alive"
    );
    let bad_date = s.run(
        owner,
        &[
            "api-key",
            "revoke-matching",
            "--created-before",
            "soon",
            "--yes",
        ],
        None,
    );
    assert_eq!(code(&bad_date), 2);
    let done = s.run(
        owner,
        &[
            "api-key",
            "revoke-matching",
            "--kind",
            "service-account",
            "--created-before",
            "2999-01-01",
            "--yes",
        ],
        None,
    );
    assert_eq!(code(&done), 0, "{:?}", text(&done));
    assert!(text(&done).0.contains("Revoked 1 keys"));
    assert_eq!(code(&s.run(Some(&key), &["whoami"], None)), 1, "revoked");
    assert_eq!(
        code(&s.run(owner, &["whoami"], None)),
        0,
        "personal tokens untouched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_get_names_expiries_networks_and_overlapping_rotation_from_the_command_line() {
    let s = server().await;
    let owner = Some(s.owner_token.as_str());
    assert_eq!(
        code(&s.run(owner, &["service-account", "create", "--name", "etl"], None)),
        0
    );
    let bad = s.run(
        owner,
        &[
            "service-account",
            "create-api-key",
            "--name",
            "etl",
            "--expires-in",
            "soon",
        ],
        None,
    );
    assert_eq!(code(&bad), 2);
    let bad_net = s.run(
        owner,
        &[
            "service-account",
            "create-api-key",
            "--name",
            "etl",
            "--allow-cidr",
            "10.0.0.0/99",
        ],
        None,
    );
    assert_eq!(code(&bad_net), 1, "the server names the problem");
    assert!(
        text(&bad_net).1.contains("allowed_cidrs"),
        "{:?}",
        text(&bad_net)
    );
    let made = s.run(
        owner,
        &[
            "service-account",
            "create-api-key",
            "--name",
            "etl",
            "--key-name",
            "nightly",
            "--expires-in",
            "30d",
            "--allow-cidr",
            "127.0.0.1",
            "-o",
            "json",
        ],
        None,
    );
    assert_eq!(code(&made), 0, "{:?}", text(&made));
    let made: serde_json::Value = serde_json::from_slice(&made.stdout).unwrap();
    let key = made["token"].as_str().unwrap().to_string();
    let key_id = made["info"]["id"].as_str().unwrap().to_string();
    assert_eq!(made["info"]["name"], "nightly");
    assert_eq!(
        made["info"]["allowed_cidrs"],
        serde_json::json!(["127.0.0.1/32"])
    );
    assert!(made["info"]["expires_at"].as_i64().is_some());
    assert_eq!(code(&s.run(Some(&key), &["whoami"], None)), 0);
    let listed = s.run(owner, &["api-key", "list", "--email", "etl@"], None);
    assert!(
        text(&listed).0.contains("expires in 29 days")
            || text(&listed).0.contains("expires in 30 days"),
        "{:?}",
        text(&listed)
    );
    assert!(
        text(&listed).0.contains("from 127.0.0.1"),
        "last use and address: {:?}",
        text(&listed)
    );

    let rotated = s.run(
        owner,
        &["api-key", "rotate", &key_id, "--grace", "1h", "-o", "json"],
        None,
    );
    assert_eq!(code(&rotated), 0, "{:?}", text(&rotated));
    let rotated: serde_json::Value = serde_json::from_slice(&rotated.stdout).unwrap();
    let new = rotated["token"].as_str().unwrap().to_string();
    assert_eq!(
        code(&s.run(Some(&key), &["whoami"], None)),
        0,
        "still inside the overlap"
    );
    assert_eq!(code(&s.run(Some(&new), &["whoami"], None)), 0);
    let stale = s.run(
        owner,
        &["api-key", "list", "--unused-for-days", "90", "-o", "json"],
        None,
    );
    let stale: Vec<serde_json::Value> = serde_json::from_slice(&stale.stdout).unwrap();
    assert!(stale.is_empty(), "nothing is 90 days old yet");

    let policy = s.run(owner, &["org", "token-policy", "--max-days", "60"], None);
    assert_eq!(code(&policy), 0, "{:?}", text(&policy));
    assert!(text(&policy).0.contains("within 60 days"));
    let shown = s.run(Some(&s.collaborator_token), &["org", "token-policy"], None);
    assert!(
        text(&shown).0.contains("within 60 days"),
        "{:?}",
        text(&shown)
    );
    let refused = s.run(
        Some(&s.collaborator_token),
        &["org", "token-policy", "--no-max"],
        None,
    );
    assert_eq!(code(&refused), 1);
}
