
use builtin;
use str;

set edit:completion:arg-completer[awsproxy] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'awsproxy'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'awsproxy'= {
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand serve 'Run every configured service in one process (the daemon)'
            cand sso 'IAM Identity Center (SSO): log in, show, keep fresh and log out sessions'
            cand creds 'Credentials for containers and tools: ECS endpoint and credential_process'
            cand token 'CodeArtifact authorization tokens'
            cand cache 'Inspect and purge the HTTP cache (disk or S3 store)'
            cand ca 'The certificate authority used for TLS interception'
            cand config 'Check the configuration file, or print the embedded default'
            cand env 'Print the shell lines that point tools at awsproxy: `eval "$(awsproxy env)"`'
            cand doctor 'Diagnose configuration, SSO, credentials, ports, CA trust and the agent'
            cand exec 'Run a command with AWS credentials that stay fresh while it runs'
            cand console 'Open the AWS console signed in as a profile''s role'
            cand install-agent 'Run `awsproxy serve` at login: a systemd user unit (Linux) or launchd agent (macOS)'
            cand uninstall-agent 'Stop and remove the agent installed by `install-agent`'
            cand setup 'Point pip, uv, poetry, npm, cargo, Maven or Gradle at awsproxy''s repository mounts'
            cand completions 'Print a shell completion script'
            cand docker-credential 'The Docker credential helper for ECR (what `docker-credential-awsproxy` runs)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'awsproxy;serve'= {
            cand --proxy-listen 'Forward proxy listen address (overrides `[proxy] listen`)'
            cand --repos-listen 'Repository listener address (overrides `[repos] listen`)'
            cand --creds-listen 'Credentials endpoint address (overrides `[creds] listen`)'
            cand --metrics-listen 'Metrics and status page address (overrides `[metrics] listen`)'
            cand --cache-dir 'Disk cache directory (overrides `[cache] dir`)'
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;sso'= {
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand login 'Log in to an SSO session and write the AWS CLI''s token cache'
            cand status 'Show sessions, time left and whether they can refresh on their own'
            cand profiles 'List the accounts and roles a session reaches; write them as profiles'
            cand watch 'Keep sessions fresh with their refresh tokens; notify when a login is needed'
            cand logout 'Log out of a session and remove its cached token'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'awsproxy;sso;login'= {
            cand --profile 'Log in to the session used by this profile instead'
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand --use-device-code 'Use the device-code flow (a URL and a code to confirm in any browser)'
            cand --no-browser 'Don''t try to open a browser; print the URL instead'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;sso;status'= {
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand --json 'Print JSON instead of a table'
            cand --prompt 'One short line for a shell prompt (`corp 3h05m`, `corp login!`); reads only local files and always exits 0'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;sso;profiles'= {
            cand --template 'Profile names: {account_name}, {account_id}, {role_name}, {session}'
            cand --prefix 'Prepended to every profile name'
            cand --region 'The profiles'' `region` (default: the session''s `sso_region`)'
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand --write 'Write the profiles into the awsproxy block of the AWS config file'
            cand --dry-run 'With --write: print the diff and change nothing'
            cand --json 'Print JSON instead of a table'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;sso;watch'= {
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand --once 'Do one pass over all sessions and exit (for cron and tests)'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;sso;logout'= {
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;sso;help'= {
            cand login 'Log in to an SSO session and write the AWS CLI''s token cache'
            cand status 'Show sessions, time left and whether they can refresh on their own'
            cand profiles 'List the accounts and roles a session reaches; write them as profiles'
            cand watch 'Keep sessions fresh with their refresh tokens; notify when a login is needed'
            cand logout 'Log out of a session and remove its cached token'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'awsproxy;sso;help;login'= {
        }
        &'awsproxy;sso;help;status'= {
        }
        &'awsproxy;sso;help;profiles'= {
        }
        &'awsproxy;sso;help;watch'= {
        }
        &'awsproxy;sso;help;logout'= {
        }
        &'awsproxy;sso;help;help'= {
        }
        &'awsproxy;creds'= {
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand serve 'Serve the ECS container-credentials endpoint (`[creds]` in the config)'
            cand export 'Print credentials for a profile: credential_process JSON or shell exports'
            cand container-env 'Print what a container needs to use a client''s credentials'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'awsproxy;creds;serve'= {
            cand --listen 'Listen address (overrides `[creds] listen`)'
            cand --print-env 'Print the environment variables a client needs, then exit'
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;creds;export'= {
            cand --profile 'The AWS profile to take credentials from (default: the default chain)'
            cand --format 'Output format'
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;creds;container-env'= {
            cand --format 'Output format'
            cand --listen 'The endpoint''s listen address (overrides `[creds] listen`, as for `creds serve`)'
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand --json 'Print JSON: `{"environment": {NAME: VALUE}, "volumes": ["SRC:DST:ro"], "extra_hosts": [...]}`'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;creds;help'= {
            cand serve 'Serve the ECS container-credentials endpoint (`[creds]` in the config)'
            cand export 'Print credentials for a profile: credential_process JSON or shell exports'
            cand container-env 'Print what a container needs to use a client''s credentials'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'awsproxy;creds;help;serve'= {
        }
        &'awsproxy;creds;help;export'= {
        }
        &'awsproxy;creds;help;container-env'= {
        }
        &'awsproxy;creds;help;help'= {
        }
        &'awsproxy;token'= {
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand get 'Print a CodeArtifact authorization token (cached until 15 minutes before expiry)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'awsproxy;token;get'= {
            cand --repo 'A repository mount from the config (`[[repos.pypi]]`, `[[repos.npm]]`, `[[repos.cargo]]`; `FORMAT:NAME` when two formats share a name), instead of --domain/--domain-owner'
            cand --domain 'CodeArtifact domain'
            cand --domain-owner 'AWS account that owns the domain'
            cand --region 'AWS region of the domain [default: from the profile or environment]'
            cand --duration 'Token lifetime in seconds: 0 (as long as the credentials) or 900 to 43200'
            cand --profile 'AWS profile for the credentials [default: the default chain]'
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand --json 'Print JSON (token, expiration, domain, owner, region)'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;token;help'= {
            cand get 'Print a CodeArtifact authorization token (cached until 15 minutes before expiry)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'awsproxy;token;help;get'= {
        }
        &'awsproxy;token;help;help'= {
        }
        &'awsproxy;cache'= {
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand ls 'List cached entries'
            cand purge 'Remove cached entries (safe while `serve` is running)'
            cand warm 'Fetch what a requirements file or lockfile names into the cache, through the running `serve`''s PyPI mount'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'awsproxy;cache;ls'= {
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand --json 'Print JSON instead of a table'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;cache;purge'= {
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand --all 'Remove every entry'
            cand --dry-run 'Show what would be removed without removing it'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;cache;warm'= {
            cand -r 'A pip requirements file (its `-r`/`-c` files too); repeatable'
            cand --requirement 'A pip requirements file (its `-r`/`-c` files too); repeatable'
            cand --lock 'A uv.lock, poetry.lock or package-lock.json; repeatable'
            cand --mount 'The `[[repos.pypi]]` (or, for package-lock.json, `[[repos.npm]]`) mount (needed when there are several)'
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand --all-platforms 'Also wheels for other operating systems and architectures'
            cand --json 'Print a JSON summary (files, bytes, failures)'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;cache;help'= {
            cand ls 'List cached entries'
            cand purge 'Remove cached entries (safe while `serve` is running)'
            cand warm 'Fetch what a requirements file or lockfile names into the cache, through the running `serve`''s PyPI mount'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'awsproxy;cache;help;ls'= {
        }
        &'awsproxy;cache;help;purge'= {
        }
        &'awsproxy;cache;help;warm'= {
        }
        &'awsproxy;cache;help;help'= {
        }
        &'awsproxy;ca'= {
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand export 'Print or write the CA certificate (created on first use)'
            cand trust 'Trust the CA in the system store, the NSS database, Java and a combined bundle'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'awsproxy;ca;export'= {
            cand --format 'Certificate encoding'
            cand --out 'Write to this file instead of stdout'
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;ca;trust'= {
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand --dry-run 'Say what would change without changing anything'
            cand --undo 'Remove the CA from every store it was added to'
            cand --json 'Print JSON instead of a table'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;ca;help'= {
            cand export 'Print or write the CA certificate (created on first use)'
            cand trust 'Trust the CA in the system store, the NSS database, Java and a combined bundle'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'awsproxy;ca;help;export'= {
        }
        &'awsproxy;ca;help;trust'= {
        }
        &'awsproxy;ca;help;help'= {
        }
        &'awsproxy;config'= {
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand check 'Validate the configuration file; exit 2 with file:line:column when invalid'
            cand default 'Print the embedded default configuration, with every section explained'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'awsproxy;config;check'= {
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand --json 'Print the result as JSON'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;config;default'= {
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;config;help'= {
            cand check 'Validate the configuration file; exit 2 with file:line:column when invalid'
            cand default 'Print the embedded default configuration, with every section explained'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'awsproxy;config;help;check'= {
        }
        &'awsproxy;config;help;default'= {
        }
        &'awsproxy;config;help;help'= {
        }
        &'awsproxy;env'= {
            cand --shell 'The shell to write for [default: from $SHELL, else bash]'
            cand --mount 'The PyPI or npm mount to point PIP_INDEX_URL/NPM_CONFIG_REGISTRY at [default: the only one configured]'
            cand --creds 'Also AWS_CONTAINER_CREDENTIALS_FULL_URI and the token (or token file) of this `[[creds.client]]`, for SDKs to use `creds serve`'
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand --unset 'Print the lines that unset the same variables'
            cand --json 'Print the variables as a JSON object instead'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;doctor'= {
            cand --probe 'Only GET this http:// URL (e.g. `/livez` or `/readyz` of `[metrics] listen`): exit 0 on a 2xx answer within 3 seconds, else 1'
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand --config-only 'Only validate the configuration file'
            cand --json 'Print JSON instead of a table'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;exec'= {
            cand --profile 'The profile whose credentials the command gets (default: AWS_PROFILE, else the default chain)'
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand --env 'Export the current credentials as AWS_ACCESS_KEY_ID etc. with AWS_CREDENTIAL_EXPIRATION instead (they don''t refresh)'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;console'= {
            cand --profile 'The AWS profile (default: `AWS_PROFILE`, else `default`)'
            cand --browser 'The browser command to run with the URL (default: `BROWSER`, else the system''s)'
            cand --destination 'A console page to open instead of the home page'
            cand --region 'The console''s region (default: the profile''s)'
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand --print 'Print the sign-in URL instead of opening a browser (valid 15 minutes; it signs in whoever opens it)'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;install-agent'= {
            cand --platform 'Write for this platform instead of the current one (for tests)'
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand --dry-run 'Print the unit and the commands without changing anything'
            cand --force 'Overwrite a unit that awsproxy did not write'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;uninstall-agent'= {
            cand --platform 'Act for this platform instead of the current one (for tests)'
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand --dry-run 'Print what would be removed without changing anything'
            cand --force 'Remove the unit even if awsproxy did not write it'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;setup'= {
            cand --mount 'The mount to use (required when the tool''s format has several)'
            cand --project 'Edit the project''s file in DIR instead of the user''s: uv.toml, pyproject.toml (poetry, which has no user-level file), .npmrc or .cargo/config.toml. Without DIR (last on the line, after the tools): the current directory'
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand --dry-run 'Print the unified diff that would be applied; change nothing'
            cand --undo 'Remove awsproxy''s block (and a file awsproxy created) again'
            cand --replace-crates-io 'cargo: also replace crates.io with the mount (`[source.crates-io]`)'
            cand --status 'List each tool''s file, the mount it uses and its state'
            cand --json 'With --status: print JSON instead of a table'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;completions'= {
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;docker-credential'= {
            cand --config 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]'
            cand --log-level 'Log level for messages on stderr [default: warn; info for daemons]'
            cand --log-format 'Log format on stderr'
            cand -v 'More log output (repeat for more)'
            cand --verbose 'More log output (repeat for more)'
            cand -q 'Less log output (repeat for less)'
            cand --quiet 'Less log output (repeat for less)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'awsproxy;help'= {
            cand serve 'Run every configured service in one process (the daemon)'
            cand sso 'IAM Identity Center (SSO): log in, show, keep fresh and log out sessions'
            cand creds 'Credentials for containers and tools: ECS endpoint and credential_process'
            cand token 'CodeArtifact authorization tokens'
            cand cache 'Inspect and purge the HTTP cache (disk or S3 store)'
            cand ca 'The certificate authority used for TLS interception'
            cand config 'Check the configuration file, or print the embedded default'
            cand env 'Print the shell lines that point tools at awsproxy: `eval "$(awsproxy env)"`'
            cand doctor 'Diagnose configuration, SSO, credentials, ports, CA trust and the agent'
            cand exec 'Run a command with AWS credentials that stay fresh while it runs'
            cand console 'Open the AWS console signed in as a profile''s role'
            cand install-agent 'Run `awsproxy serve` at login: a systemd user unit (Linux) or launchd agent (macOS)'
            cand uninstall-agent 'Stop and remove the agent installed by `install-agent`'
            cand setup 'Point pip, uv, poetry, npm, cargo, Maven or Gradle at awsproxy''s repository mounts'
            cand completions 'Print a shell completion script'
            cand docker-credential 'The Docker credential helper for ECR (what `docker-credential-awsproxy` runs)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'awsproxy;help;serve'= {
        }
        &'awsproxy;help;sso'= {
            cand login 'Log in to an SSO session and write the AWS CLI''s token cache'
            cand status 'Show sessions, time left and whether they can refresh on their own'
            cand profiles 'List the accounts and roles a session reaches; write them as profiles'
            cand watch 'Keep sessions fresh with their refresh tokens; notify when a login is needed'
            cand logout 'Log out of a session and remove its cached token'
        }
        &'awsproxy;help;sso;login'= {
        }
        &'awsproxy;help;sso;status'= {
        }
        &'awsproxy;help;sso;profiles'= {
        }
        &'awsproxy;help;sso;watch'= {
        }
        &'awsproxy;help;sso;logout'= {
        }
        &'awsproxy;help;creds'= {
            cand serve 'Serve the ECS container-credentials endpoint (`[creds]` in the config)'
            cand export 'Print credentials for a profile: credential_process JSON or shell exports'
            cand container-env 'Print what a container needs to use a client''s credentials'
        }
        &'awsproxy;help;creds;serve'= {
        }
        &'awsproxy;help;creds;export'= {
        }
        &'awsproxy;help;creds;container-env'= {
        }
        &'awsproxy;help;token'= {
            cand get 'Print a CodeArtifact authorization token (cached until 15 minutes before expiry)'
        }
        &'awsproxy;help;token;get'= {
        }
        &'awsproxy;help;cache'= {
            cand ls 'List cached entries'
            cand purge 'Remove cached entries (safe while `serve` is running)'
            cand warm 'Fetch what a requirements file or lockfile names into the cache, through the running `serve`''s PyPI mount'
        }
        &'awsproxy;help;cache;ls'= {
        }
        &'awsproxy;help;cache;purge'= {
        }
        &'awsproxy;help;cache;warm'= {
        }
        &'awsproxy;help;ca'= {
            cand export 'Print or write the CA certificate (created on first use)'
            cand trust 'Trust the CA in the system store, the NSS database, Java and a combined bundle'
        }
        &'awsproxy;help;ca;export'= {
        }
        &'awsproxy;help;ca;trust'= {
        }
        &'awsproxy;help;config'= {
            cand check 'Validate the configuration file; exit 2 with file:line:column when invalid'
            cand default 'Print the embedded default configuration, with every section explained'
        }
        &'awsproxy;help;config;check'= {
        }
        &'awsproxy;help;config;default'= {
        }
        &'awsproxy;help;env'= {
        }
        &'awsproxy;help;doctor'= {
        }
        &'awsproxy;help;exec'= {
        }
        &'awsproxy;help;console'= {
        }
        &'awsproxy;help;install-agent'= {
        }
        &'awsproxy;help;uninstall-agent'= {
        }
        &'awsproxy;help;setup'= {
        }
        &'awsproxy;help;completions'= {
        }
        &'awsproxy;help;docker-credential'= {
        }
        &'awsproxy;help;help'= {
        }
    ]
    $completions[$command]
}
