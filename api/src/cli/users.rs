//! `users create-admin` and `users grant-admin`: making the first administrators
//! from the command line, through the same commands the API uses.

use std::process::ExitCode;

use altegon_commands::CommandBus;
use altegon_commands::handlers::users::{RegisterUser, email_key, register_user};
use altegon_commands::{Actor, CommandContext};
use altegon_domain::email_reservation::{EmailReservation, ReservationState};
use altegon_domain::events::Role;
use altegon_domain::user::{User, UserCommand};
use altegon_domain::validate::normalized_email;
use clap::Subcommand;

use crate::config::Config;
use crate::stores::open_event_store;

/// `users` subcommands.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Register a new administrator.
    CreateAdmin {
        /// Login email.
        #[arg(long)]
        email: String,
        /// Password (8 to 128 characters); prefer `ALTEGON_ADMIN_PASSWORD` to keep it
        /// out of the shell history.
        #[arg(long, env = "ALTEGON_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        /// First name.
        #[arg(long, default_value = "Admin")]
        first_name: String,
        /// Last name.
        #[arg(long, default_value = "User")]
        last_name: String,
        /// Contact number.
        #[arg(long, default_value = "0")]
        phone_number: String,
        /// Country.
        #[arg(long, default_value = "Unknown")]
        country: String,
    },
    /// Make an existing user an administrator.
    GrantAdmin {
        /// The user's email.
        email: String,
    },
}

/// Runs a `users` subcommand.
pub async fn run(cmd: UsersCommand, config: &Config) -> anyhow::Result<ExitCode> {
    let store = open_event_store(config).await?;
    let bus = CommandBus::new(store.clone());
    let ctx = CommandContext::new(Actor::system());
    let result = match cmd {
        UsersCommand::CreateAdmin {
            email,
            password,
            first_name,
            last_name,
            phone_number,
            country,
        } => {
            let request = RegisterUser {
                email: email.clone(),
                f_name: first_name,
                l_name: last_name,
                phone_number,
                country,
                password,
                role: Role::Admin,
            };
            register_user(&bus, &ctx, request)
                .await
                .map(|r| println!("administrator {email} created with id {}", r.user_id))
                .map_err(anyhow::Error::from)
        }
        UsersCommand::GrantAdmin { email } => grant_admin(&bus, &ctx, &email).await,
    };
    store.close().await;
    result.map(|()| ExitCode::SUCCESS)
}

async fn grant_admin(bus: &CommandBus, ctx: &CommandContext, email: &str) -> anyhow::Result<()> {
    let normalized = normalized_email(email)?;
    // The reservation stream is the authority on who owns an address.
    let ReservationState::Reserved { user_id, .. } = bus
        .state::<EmailReservation>(email_key(&normalized))
        .await?
    else {
        anyhow::bail!("no user with email {email}");
    };
    let command = UserCommand::GrantRole {
        user_id,
        role: Role::Admin,
        now: chrono::Utc::now(),
    };
    let outcome = bus.execute::<User>(ctx, user_id, &command).await?;
    if outcome.events.is_empty() {
        println!("{email} ({user_id}) is already an administrator");
    } else {
        println!("{email} ({user_id}) is now an administrator");
    }
    Ok(())
}
