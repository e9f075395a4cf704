//! The command line, as clap types only. The `///` comments are the `--help`
//! text; `completions/` and `man/` are generated from these types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::values::ListenAddr;
use crate::env_vars;
use crate::logging::{LogFormat, LogLevel};

const AFTER_HELP: &str = "\
Exit codes: 0 success, 1 runtime failure, 2 bad arguments or configuration,
3 an SSO session needs `awsproxy sso login`, 4 `doctor` found a failing check,
130 interrupted.

Configuration: $XDG_CONFIG_HOME/awsproxy/config.toml (or --config). Without a
file, awsproxy uses its embedded default; `awsproxy config default` prints it.";

const SETUP_HELP: &str = "\
Examples:
  awsproxy setup pip npm                 # pip.conf and ~/.npmrc, one mount each
  awsproxy setup cargo --mount crates    # when several [[repos.cargo]] exist
  awsproxy setup uv npm --project .      # ./uv.toml and ./.npmrc
  awsproxy setup poetry --project        # ./pyproject.toml
  awsproxy setup maven --dry-run         # print the diff, change nothing
  awsproxy setup docker                  # credHelpers for the [[docker.registry]] hosts
  awsproxy setup pip npm --undo          # remove awsproxy's blocks again
  awsproxy setup --status                # what is set up where (--json too)

Exit codes: 0 done or already set up, 1 a file could not be read or written,
2 refused (no or several mounts, a file that does not parse, a setting that
would override awsproxy's); a refusal changes no file.";

/// One local daemon for AWS-authenticated package repositories, credentials,
/// SSO and a caching HTTPS proxy.
///
/// awsproxy keeps IAM Identity Center (SSO) sessions fresh for every tool on the
/// machine, serves ECS-style credentials to containers, proxies CodeArtifact
/// PyPI and S3-hosted Maven repositories (adding the credentials server-side),
/// and caches downloads through an HTTP(S) forward proxy.
#[derive(Debug, Parser)]
#[command(name = "awsproxy", version, propagate_version = true, after_help = AFTER_HELP, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]
    #[arg(long, global = true, value_name = "PATH", env = env_vars::AWSPROXY_CONFIG)]
    pub config: Option<PathBuf>,

    /// Log level for messages on stderr [default: warn; info for daemons]
    #[arg(long, global = true, value_name = "LEVEL", env = env_vars::AWSPROXY_LOG_LEVEL)]
    pub log_level: Option<LogLevel>,

    /// Log format on stderr
    #[arg(long, global = true, value_name = "FORMAT", env = env_vars::AWSPROXY_LOG_FORMAT)]
    pub log_format: Option<LogFormat>,

    /// More log output (repeat for more)
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Less log output (repeat for less)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub quiet: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every configured service in one process (the daemon)
    ///
    /// Starts the SSO watcher, the credentials endpoint, the repository listener
    /// (PyPI and Maven mounts), the caching forward proxy and the metrics/status
    /// listener, each when its section is in the configuration. With no
    /// configuration file it runs the embedded default: the forward proxy with a
    /// disk cache, the repository listener and the status page on 127.0.0.1.
    Serve(ServeArgs),

    /// IAM Identity Center (SSO): log in, show, keep fresh and log out sessions
    #[command(subcommand)]
    Sso(SsoCommand),

    /// Credentials for containers and tools: ECS endpoint and credential_process
    #[command(subcommand)]
    Creds(CredsCommand),

    /// CodeArtifact authorization tokens
    #[command(subcommand)]
    Token(TokenCommand),

    /// Inspect and purge the HTTP cache (disk or S3 store)
    #[command(subcommand)]
    Cache(CacheCommand),

    /// The certificate authority used for TLS interception
    #[command(subcommand)]
    Ca(CaCommand),

    /// Check the configuration file, or print the embedded default
    #[command(subcommand)]
    Config(ConfigCommand),

    /// Print the shell lines that point tools at awsproxy: `eval "$(awsproxy env)"`
    ///
    /// Proxy variables for `[proxy] listen` with a NO_PROXY that exempts loopback
    /// and the metadata addresses, the CA bundle variables (REQUESTS_CA_BUNDLE,
    /// SSL_CERT_FILE, CURL_CA_BUNDLE, ...) at the bundle `awsproxy ca trust`
    /// writes, JAVA_TOOL_OPTIONS for its Java trust store, and PIP_INDEX_URL,
    /// UV_DEFAULT_INDEX and NPM_CONFIG_REGISTRY for the configured mounts; with
    /// `--creds CLIENT`, AWS_CONTAINER_CREDENTIALS_FULL_URI and the client's token.
    ///
    /// For example: `eval "$(awsproxy env)"`, `awsproxy env --shell fish | source`,
    /// `awsproxy env --shell powershell | Invoke-Expression`,
    /// `eval "$(awsproxy env --creds app)"`; undo with `--unset`.
    Env(EnvArgs),

    /// Diagnose configuration, SSO, credentials, ports, CA trust and the agent
    ///
    /// With `--probe URL`, only check that a running `serve` answers URL with
    /// a 2xx (exit 0, else 1): the health check of a container image that has
    /// no curl, e.g. `awsproxy doctor --probe http://127.0.0.1:9464/livez`.
    Doctor(DoctorArgs),

    /// Run a command with AWS credentials that stay fresh while it runs
    ///
    /// The command gets a private credentials endpoint (127.0.0.1, a random
    /// token, gone when it exits) through AWS_CONTAINER_CREDENTIALS_FULL_URI, so
    /// every SDK and the AWS CLI refresh from awsproxy; keys and AWS_PROFILE in
    /// the environment, and a [default] profile with credentials, are hidden
    /// from it (they would win). The exit code is the command's.
    #[command(after_help = EXEC_EXAMPLES)]
    Exec(ExecArgs),

    /// Open the AWS console signed in as a profile's role
    ///
    /// Exchanges the profile's temporary credentials (an assumed role or an SSO
    /// role) for a sign-in token at the AWS federation endpoint of the
    /// profile's partition, and opens the console with it. Long-term IAM user
    /// keys can't be used: federation needs a role.
    #[command(after_help = CONSOLE_EXAMPLES)]
    Console(ConsoleArgs),

    /// Run `awsproxy serve` at login: a systemd user unit (Linux) or launchd agent (macOS)
    ///
    /// Writes ~/.config/systemd/user/awsproxy.service (Restart=on-failure) and
    /// enables it with `systemctl --user`, or ~/Library/LaunchAgents/io.awsproxy.serve.plist
    /// (KeepAlive, logs in the state dir) and loads it with `launchctl bootstrap`.
    /// When the service manager is not reachable, prints the commands to run.
    /// Running it again updates the unit; `--config` is recorded in the unit.
    InstallAgent(InstallAgentArgs),

    /// Stop and remove the agent installed by `install-agent`
    UninstallAgent(UninstallAgentArgs),

    /// Point pip, uv, poetry, npm, cargo, Maven or Gradle at awsproxy's repository mounts
    ///
    /// Edits each tool's own configuration file (user level by default, the
    /// project's with --project) inside a block between `>>> awsproxy >>>` and
    /// `<<< awsproxy <<<` comments, and never touches a byte outside it. Running it
    /// again changes nothing; --undo removes exactly the block (and a file awsproxy
    /// created); the first edit keeps the old file as FILE.awsproxy-backup. It
    /// refuses, with a hint, a file it cannot parse and a setting outside its block
    /// (or in the environment) that would win over its own. `docker` adds the
    /// `[[docker.registry]]` hosts to `credHelpers` in $DOCKER_CONFIG/config.json
    /// (JSON has no comments: what it added is recorded, and --undo removes that).
    #[command(after_help = SETUP_HELP)]
    Setup(SetupArgs),

    /// Print a shell completion script
    ///
    /// For example: `awsproxy completions bash > ~/.local/share/bash-completion/completions/awsproxy`
    Completions(CompletionsArgs),

    /// The Docker credential helper for ECR (what `docker-credential-awsproxy` runs)
    ///
    /// Speaks the Docker credential-helper protocol: `get` reads a registry's
    /// server URL on stdin and prints `{"ServerURL", "Username": "AWS", "Secret"}`
    /// with an ECR authorization token, fetched with the credentials of the
    /// registry's profile (`[[docker.registry]]`, `[docker] profile`, else
    /// AWS_PROFILE) and cached until 15 minutes before it expires; `list`
    /// prints the configured registries. `store` and `erase` are refused:
    /// tokens are fetched, never stored. Invoked as `docker-credential-awsproxy`
    /// (a link to awsproxy that `install.sh` makes) the binary runs this command.
    #[command(after_help = DOCKER_CREDENTIAL_HELP)]
    DockerCredential(DockerCredentialArgs),
}

/// The executable name Docker runs for `"credHelpers": {"HOST": "awsproxy"}`.
pub const DOCKER_HELPER_NAME: &str = "docker-credential-awsproxy";

/// The process arguments, with `docker-credential` put after the program
/// name when the binary runs as [`DOCKER_HELPER_NAME`] (a link to it), so
/// `docker-credential-awsproxy get` is `awsproxy docker-credential get`.
pub fn args_os() -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let invoked_as = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_stem())
        .and_then(|s| s.to_str())
        .map(str::to_owned);
    if invoked_as.as_deref() == Some(DOCKER_HELPER_NAME) {
        args.insert(1, "docker-credential".into());
    }
    args
}

const DOCKER_CREDENTIAL_HELP: &str = "\
Examples:
  echo 123456789012.dkr.ecr.eu-west-1.amazonaws.com | docker-credential-awsproxy get
  docker-credential-awsproxy list
  awsproxy setup docker          # credHelpers in ~/.docker/config.json

Exit codes: 0 credentials printed, 1 no credentials (for a registry that is
not ECR: `credentials not found in native keychain` on stdout, as Docker
expects), 2 a server URL that is not a registry host, or store/erase,
3 the profile's SSO session needs `awsproxy sso login`.";

#[derive(Debug, Args)]
pub struct DockerCredentialArgs {
    /// The helper action Docker asks for
    #[arg(value_enum)]
    pub action: DockerCredentialAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DockerCredentialAction {
    /// Read a server URL on stdin; print its credentials as JSON
    Get,
    /// Print the configured registries as a JSON object of host to user name
    List,
    /// Refused: ECR tokens are fetched, not stored
    Store,
    /// Refused: nothing is stored to erase
    Erase,
    /// Print the version
    Version,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Forward proxy listen address (overrides `[proxy] listen`)
    #[arg(long, value_name = "ADDR", env = env_vars::AWSPROXY_PROXY_LISTEN)]
    pub proxy_listen: Option<ListenAddr>,

    /// Repository listener address (overrides `[repos] listen`)
    #[arg(long, value_name = "ADDR", env = env_vars::AWSPROXY_REPOS_LISTEN)]
    pub repos_listen: Option<ListenAddr>,

    /// Credentials endpoint address (overrides `[creds] listen`)
    #[arg(long, value_name = "ADDR", env = env_vars::AWSPROXY_CREDS_LISTEN)]
    pub creds_listen: Option<ListenAddr>,

    /// Metrics and status page address (overrides `[metrics] listen`)
    #[arg(long, value_name = "ADDR", env = env_vars::AWSPROXY_METRICS_LISTEN)]
    pub metrics_listen: Option<ListenAddr>,

    /// Disk cache directory (overrides `[cache] dir`)
    #[arg(long, value_name = "DIR", env = env_vars::AWSPROXY_CACHE_DIR)]
    pub cache_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum SsoCommand {
    /// Log in to an SSO session and write the AWS CLI's token cache
    ///
    /// Uses the PKCE authorization-code flow with a loopback callback by default,
    /// and the device-code flow with --use-device-code or when no browser can be
    /// opened (SSH sessions, containers, no display). The token is written to
    /// ~/.aws/sso/cache exactly as the AWS CLI v2 writes it, so every tool uses it.
    /// A second login for the same session waits for the first and uses its token.
    /// AWSPROXY_BROWSER=<command> opens the URL with that command instead of the
    /// system browser.
    Login(SsoLoginArgs),

    /// Show sessions, time left and whether they can refresh on their own
    ///
    /// Exits 0 when every listed session is valid, 3 when any needs a login.
    Status(SsoStatusArgs),

    /// List the accounts and roles a session reaches; write them as profiles
    ///
    /// Asks the SSO portal (ListAccounts, ListAccountRoles) with the session's
    /// cached token. `--write` keeps one `[profile …]` per account and role in a
    /// marked block of ~/.aws/config (AWS_CONFIG_FILE), replaced on every run;
    /// your own profiles and comments are never touched.
    #[command(after_help = SSO_PROFILES_EXAMPLES)]
    Profiles(SsoProfilesArgs),

    /// Keep sessions fresh with their refresh tokens; notify when a login is needed
    ///
    /// Refreshes each token when less than `[sso] refresh_ahead` (default 20m) is
    /// left. When only a new login helps, acts once per session and expiry as
    /// `[sso] login` says: notify (default), auto (start a login) or off.
    Watch(SsoWatchArgs),

    /// Log out of a session and remove its cached token
    Logout(SsoLogoutArgs),
}

#[derive(Debug, Args)]
pub struct SsoLoginArgs {
    /// The `[sso-session NAME]` from ~/.aws/config (prompted for when several exist)
    #[arg(value_name = "SESSION", conflicts_with = "profile")]
    pub session: Option<String>,

    /// Log in to the session used by this profile instead
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,

    /// Use the device-code flow (a URL and a code to confirm in any browser)
    #[arg(long)]
    pub use_device_code: bool,

    /// Don't try to open a browser; print the URL instead
    #[arg(long)]
    pub no_browser: bool,
}

#[derive(Debug, Args)]
pub struct SsoStatusArgs {
    /// Only these sessions
    #[arg(value_name = "SESSION")]
    pub sessions: Vec<String>,

    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,

    /// One short line for a shell prompt (`corp 3h05m`, `corp login!`); reads
    /// only local files and always exits 0
    #[arg(long, conflicts_with = "json")]
    pub prompt: bool,
}

#[derive(Debug, Args)]
pub struct SsoWatchArgs {
    /// Do one pass over all sessions and exit (for cron and tests)
    #[arg(long)]
    pub once: bool,
}

#[derive(Debug, Args)]
pub struct SsoLogoutArgs {
    /// The session to log out of (prompted for when several exist)
    #[arg(value_name = "SESSION")]
    pub session: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CredsCommand {
    /// Serve the ECS container-credentials endpoint (`[creds]` in the config)
    ///
    /// Containers and apps point AWS_CONTAINER_CREDENTIALS_FULL_URI at it and
    /// send their client's token as AWS_CONTAINER_AUTHORIZATION_TOKEN.
    Serve(CredsServeArgs),

    /// Print credentials for a profile: credential_process JSON or shell exports
    ///
    /// In ~/.aws/config: `credential_process = awsproxy creds export --profile dev`
    Export(CredsExportArgs),

    /// Print what a container needs to use a client's credentials
    ///
    /// The endpoint's URL (from `[creds] listen`) and the client's token, or
    /// its token file mounted read-only at /run/awsproxy/token: as `docker run`
    /// flags, a compose fragment or an `--env-file`. Containers reach the
    /// endpoint when it listens on the ECS address (`[creds] listen =
    /// "169.254.170.2:80"`); a loopback address is the container's own. With
    /// `[creds] tls_ca_names` (host.docker.internal) the URL is https, and
    /// awsproxy's CA is mounted and named for the SDKs.
    #[command(after_help = CONTAINER_ENV_EXAMPLES)]
    ContainerEnv(CredsContainerEnvArgs),
}

const CONTAINER_ENV_EXAMPLES: &str = "Examples:
  docker run $(awsproxy creds container-env app) amazon/aws-cli sts get-caller-identity
  awsproxy creds container-env app --format compose   # environment: and volumes: for a service
  awsproxy creds container-env app --format env > app.env && docker run --env-file app.env IMAGE";

#[derive(Debug, Args)]
pub struct CredsContainerEnvArgs {
    /// The `[[creds.client]]` whose credentials the container gets
    #[arg(value_name = "CLIENT")]
    pub client: String,

    /// Output format
    #[arg(long, value_enum, default_value_t = ContainerEnvFormat::Docker)]
    pub format: ContainerEnvFormat,

    /// The endpoint's listen address (overrides `[creds] listen`, as for `creds serve`)
    #[arg(long, value_name = "ADDR", env = env_vars::AWSPROXY_CREDS_LISTEN)]
    pub listen: Option<ListenAddr>,

    /// Print JSON: `{"environment": {NAME: VALUE}, "volumes": ["SRC:DST:ro"], "extra_hosts": [...]}`
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ContainerEnvFormat {
    /// `docker run` (and `podman run`) flags: `-e NAME=VALUE -v SRC:DST:ro --add-host ...`
    Docker,
    /// A docker compose fragment: `environment:` and `volumes:` for a service
    Compose,
    /// `NAME=VALUE` lines for `docker run --env-file` (mount the token file yourself)
    Env,
}

#[derive(Debug, Args)]
pub struct CredsServeArgs {
    /// Listen address (overrides `[creds] listen`)
    #[arg(long, value_name = "ADDR", env = env_vars::AWSPROXY_CREDS_LISTEN)]
    pub listen: Option<ListenAddr>,

    /// Print the environment variables a client needs, then exit
    #[arg(long, value_name = "CLIENT")]
    pub print_env: Option<String>,
}

const SSO_PROFILES_EXAMPLES: &str = "Examples:
  awsproxy sso profiles corp                       # a table of accounts, roles and profile names
  awsproxy sso profiles corp --write --dry-run     # the diff --write would apply to ~/.aws/config
  awsproxy sso profiles corp --write --prefix corp- --template '{account_name}.{role_name}'";

#[derive(Debug, Args)]
pub struct SsoProfilesArgs {
    /// The sso-session (default: the only one)
    pub session: Option<String>,

    /// Write the profiles into the awsproxy block of the AWS config file
    #[arg(long)]
    pub write: bool,

    /// With --write: print the diff and change nothing
    #[arg(long, requires = "write")]
    pub dry_run: bool,

    /// Profile names: {account_name}, {account_id}, {role_name}, {session}
    #[arg(long, value_name = "TEMPLATE", default_value = crate::sso::profiles::DEFAULT_TEMPLATE)]
    pub template: String,

    /// Prepended to every profile name
    #[arg(long, value_name = "PREFIX", default_value = "")]
    pub prefix: String,

    /// The profiles' `region` (default: the session's `sso_region`)
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

const CONSOLE_EXAMPLES: &str = "Examples:
  awsproxy console --profile dev
  awsproxy console --profile prod --destination https://console.aws.amazon.com/s3/
  awsproxy console --profile dev --print | xclip     # the URL signs in: treat it as a secret";

#[derive(Debug, Args)]
pub struct ConsoleArgs {
    /// The AWS profile (default: `AWS_PROFILE`, else `default`)
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,

    /// Print the sign-in URL instead of opening a browser (valid 15 minutes; it signs in whoever opens it)
    #[arg(long)]
    pub print: bool,

    /// The browser command to run with the URL (default: `BROWSER`, else the system's)
    #[arg(long, value_name = "CMD")]
    pub browser: Option<String>,

    /// A console page to open instead of the home page
    #[arg(long, value_name = "URL")]
    pub destination: Option<String>,

    /// The console's region (default: the profile's)
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

#[derive(Debug, Args)]
pub struct CredsExportArgs {
    /// The AWS profile to take credentials from (default: the default chain)
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,

    /// Output format
    #[arg(long, value_enum, default_value_t = ExportFormat::Process)]
    pub format: ExportFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// credential_process JSON (Version 1)
    Process,
    /// `export AWS_...=...` lines for a shell
    Env,
    /// A JSON object with the credentials and their expiry
    Json,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a CodeArtifact authorization token (cached until 15 minutes before expiry)
    ///
    /// Prints only the token on stdout, so `export TOKEN=$(awsproxy token get ...)` works.
    Get(TokenGetArgs),
}

#[derive(Debug, Args)]
pub struct TokenGetArgs {
    /// A repository mount from the config (`[[repos.pypi]]`, `[[repos.npm]]`,
    /// `[[repos.cargo]]`; `FORMAT:NAME` when two formats share a name), instead
    /// of --domain/--domain-owner
    #[arg(long, value_name = "NAME", conflicts_with_all = ["domain", "domain_owner"])]
    pub repo: Option<String>,

    /// CodeArtifact domain
    #[arg(
        long,
        value_name = "DOMAIN",
        required_unless_present = "repo",
        requires = "domain_owner"
    )]
    pub domain: Option<String>,

    /// AWS account that owns the domain
    #[arg(long, value_name = "ACCOUNT", required_unless_present = "repo")]
    pub domain_owner: Option<String>,

    /// AWS region of the domain [default: from the profile or environment]
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Token lifetime in seconds: 0 (as long as the credentials) or 900 to 43200
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<u64>,

    /// AWS profile for the credentials [default: the default chain]
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,

    /// Print JSON (token, expiration, domain, owner, region)
    #[arg(long)]
    pub json: bool,
}

const EXEC_EXAMPLES: &str = "\
Examples:
  awsproxy exec --profile dev -- aws sts get-caller-identity
  awsproxy exec --profile dev -- terraform plan
  awsproxy exec --profile dev --env -- ./script.sh   # plain keys + AWS_CREDENTIAL_EXPIRATION";

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The profile whose credentials the command gets (default: AWS_PROFILE, else the default chain)
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,

    /// Export the current credentials as AWS_ACCESS_KEY_ID etc. with
    /// AWS_CREDENTIAL_EXPIRATION instead (they don't refresh)
    #[arg(long)]
    pub env: bool,

    /// The command and its arguments (after `--`)
    #[arg(required = true, trailing_var_arg = true, value_name = "COMMAND")]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// List cached entries
    Ls(CacheLsArgs),

    /// Remove cached entries (safe while `serve` is running)
    Purge(CachePurgeArgs),

    /// Fetch what a requirements file or lockfile names into the cache,
    /// through the running `serve`'s PyPI mount
    #[command(after_help = WARM_HELP)]
    Warm(CacheWarmArgs),
}

const WARM_HELP: &str = "\
Examples:
  awsproxy cache warm -r requirements.txt
  awsproxy cache warm --lock uv.lock --mount corp --json
  awsproxy cache warm --lock package-lock.json

Pinned requirements (`name==version`) warm that version's files; unpinned
ones warm the project page only (pin with `pip freeze` or `uv pip compile`).
Wheels for other platforms are skipped unless --all-platforms. A
package-lock.json warms the npm mount: each package's document and the
tarball of each locked version.";

#[derive(Debug, Args)]
pub struct CacheWarmArgs {
    /// A pip requirements file (its `-r`/`-c` files too); repeatable
    #[arg(
        short = 'r',
        long = "requirement",
        value_name = "FILE",
        required_unless_present = "lock"
    )]
    pub requirements: Vec<PathBuf>,

    /// A uv.lock, poetry.lock or package-lock.json; repeatable
    #[arg(long, value_name = "FILE")]
    pub lock: Vec<PathBuf>,

    /// The `[[repos.pypi]]` (or, for package-lock.json, `[[repos.npm]]`) mount (needed when there are several)
    #[arg(long, value_name = "NAME")]
    pub mount: Option<String>,

    /// Also wheels for other operating systems and architectures
    #[arg(long)]
    pub all_platforms: bool,

    /// Print a JSON summary (files, bytes, failures)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CacheLsArgs {
    /// Only entries whose URL contains this text
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,

    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CachePurgeArgs {
    /// Remove entries whose URL contains this text
    #[arg(
        value_name = "FILTER",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub filter: Option<String>,

    /// Remove every entry
    #[arg(long)]
    pub all: bool,

    /// Show what would be removed without removing it
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum CaCommand {
    /// Print or write the CA certificate (created on first use)
    Export(CaExportArgs),

    /// Trust the CA in the system store, the NSS database, Java and a combined bundle
    ///
    /// Writes $XDG_DATA_HOME/awsproxy/ca-bundle.pem (the system roots plus the CA,
    /// for `awsproxy env`), adds the CA to ~/.pki/nssdb with certutil (Chromium,
    /// Firefox), writes a Java trust store $XDG_DATA_HOME/awsproxy/java-truststore.p12
    /// (the JDK's cacerts plus the CA) and adds the CA to the system store (root
    /// only: otherwise it prints the sudo command). Each store reports trusted,
    /// already trusted, skipped (and why) or needs root. Safe to run twice.
    ///
    /// For example: `awsproxy ca trust --dry-run`, then `awsproxy ca trust`;
    /// `awsproxy ca trust --undo` removes exactly what it added.
    Trust(CaTrustArgs),
}

#[derive(Debug, Args)]
pub struct CaTrustArgs {
    /// Say what would change without changing anything
    #[arg(long)]
    pub dry_run: bool,

    /// Remove the CA from every store it was added to
    #[arg(long)]
    pub undo: bool,

    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    /// The shell to write for [default: from $SHELL, else bash]
    #[arg(long, value_enum, value_name = "SHELL")]
    pub shell: Option<crate::shell::Shell>,

    /// Print the lines that unset the same variables
    #[arg(long)]
    pub unset: bool,

    /// The PyPI or npm mount to point PIP_INDEX_URL/NPM_CONFIG_REGISTRY at
    /// [default: the only one configured]
    #[arg(long, value_name = "NAME")]
    pub mount: Option<String>,

    /// Also AWS_CONTAINER_CREDENTIALS_FULL_URI and the token (or token file)
    /// of this `[[creds.client]]`, for SDKs to use `creds serve`
    #[arg(long, value_name = "CLIENT")]
    pub creds: Option<String>,

    /// Print the variables as a JSON object instead
    #[arg(long, conflicts_with = "shell")]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CaExportArgs {
    /// Certificate encoding
    #[arg(long, value_enum, default_value_t = CertFormat::Pem)]
    pub format: CertFormat,

    /// Write to this file instead of stdout
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CertFormat {
    Pem,
    Der,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration file; exit 2 with file:line:column when invalid
    Check(ConfigCheckArgs),

    /// Print the embedded default configuration, with every section explained
    Default,
}

#[derive(Debug, Args)]
pub struct ConfigCheckArgs {
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Only validate the configuration file
    #[arg(long)]
    pub config_only: bool,

    /// Only GET this http:// URL (e.g. `/livez` or `/readyz` of `[metrics]
    /// listen`): exit 0 on a 2xx answer within 3 seconds, else 1
    #[arg(long, value_name = "URL", conflicts_with = "config_only")]
    pub probe: Option<String>,

    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct InstallAgentArgs {
    /// Print the unit and the commands without changing anything
    #[arg(long)]
    pub dry_run: bool,

    /// Overwrite a unit that awsproxy did not write
    #[arg(long)]
    pub force: bool,

    /// Write for this platform instead of the current one (for tests)
    #[arg(long, value_enum, hide = true)]
    pub platform: Option<crate::agent::Platform>,
}

#[derive(Debug, Args)]
pub struct UninstallAgentArgs {
    /// Print what would be removed without changing anything
    #[arg(long)]
    pub dry_run: bool,

    /// Remove the unit even if awsproxy did not write it
    #[arg(long)]
    pub force: bool,

    /// Act for this platform instead of the current one (for tests)
    #[arg(long, value_enum, hide = true)]
    pub platform: Option<crate::agent::Platform>,
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    /// The tools to set up
    #[arg(value_enum, value_name = "TOOL", required_unless_present = "status")]
    pub tools: Vec<crate::setup::Tool>,

    /// The mount to use (required when the tool's format has several)
    #[arg(long, value_name = "NAME", conflicts_with = "undo")]
    pub mount: Option<String>,

    /// Edit the project's file in DIR instead of the user's: uv.toml,
    /// pyproject.toml (poetry, which has no user-level file), .npmrc or
    /// .cargo/config.toml. Without DIR (last on the line, after the tools): the
    /// current directory
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = ".")]
    pub project: Option<PathBuf>,

    /// Print the unified diff that would be applied; change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Remove awsproxy's block (and a file awsproxy created) again
    #[arg(long)]
    pub undo: bool,

    /// cargo: also replace crates.io with the mount (`[source.crates-io]`)
    #[arg(long, conflicts_with = "undo")]
    pub replace_crates_io: bool,

    /// List each tool's file, the mount it uses and its state
    #[arg(long, conflicts_with_all = ["tools", "mount", "dry_run", "undo", "replace_crates_io"])]
    pub status: bool,

    /// With --status: print JSON instead of a table
    #[arg(long, requires = "status")]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_tree_is_consistent() {
        Cli::command().debug_assert();
    }
}
