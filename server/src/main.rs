use app::server::clock::Clock;
use clap::Parser;
use gatehouse_server::config::{Config, IdpSource};
use gatehouse_server::{dev_idp, telemetry, Application};
use std::path::PathBuf;
use std::process::ExitCode;

/// Gatehouse: identity and access console.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// A TOML configuration file; GATEHOUSE_* environment variables override it.
    #[arg(long, env = "GATEHOUSE_CONFIG")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    telemetry::init();
    let args = Args::parse();
    let config = match Config::load(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("gatehouse: {e}");
            return ExitCode::from(2);
        }
    };
    let public_url = config.base_url();
    let dev = config.idp == IdpSource::Dev;
    tracing::info!(database = %config.database_url, "starting");
    let app = match Application::build(config, Clock::system()).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("gatehouse: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let org = &app.state().app.org;
    println!("\n  Gatehouse is running at {public_url}/");
    println!("  Organization: {} ({})", org.name, org.id);
    if dev {
        println!("  Development IdP enabled. Demo accounts:");
        for user in dev_idp::DEMO_USERS {
            println!("    {:<20} {}", user.email, user.blurb);
        }
    }
    println!();
    let code = match app.run().await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("gatehouse: server error: {e}");
            1
        }
    };
    // Dropping the runtime would wait for every blocking thread, including a signature check
    // that overran its time limit: exit now, within the shutdown bound.
    std::process::exit(code)
}
