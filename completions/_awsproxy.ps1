
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'awsproxy' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'awsproxy'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'awsproxy' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run every configured service in one process (the daemon)')
            [CompletionResult]::new('sso', 'sso', [CompletionResultType]::ParameterValue, 'IAM Identity Center (SSO): log in, show, keep fresh and log out sessions')
            [CompletionResult]::new('creds', 'creds', [CompletionResultType]::ParameterValue, 'Credentials for containers and tools: ECS endpoint and credential_process')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'CodeArtifact authorization tokens')
            [CompletionResult]::new('cache', 'cache', [CompletionResultType]::ParameterValue, 'Inspect and purge the HTTP cache (disk or S3 store)')
            [CompletionResult]::new('ca', 'ca', [CompletionResultType]::ParameterValue, 'The certificate authority used for TLS interception')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Check the configuration file, or print the embedded default')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, 'Print the shell lines that point tools at awsproxy: `eval "$(awsproxy env)"`')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Diagnose configuration, SSO, credentials, ports, CA trust and the agent')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with AWS credentials that stay fresh while it runs')
            [CompletionResult]::new('console', 'console', [CompletionResultType]::ParameterValue, 'Open the AWS console signed in as a profile''s role')
            [CompletionResult]::new('install-agent', 'install-agent', [CompletionResultType]::ParameterValue, 'Run `awsproxy serve` at login: a systemd user unit (Linux) or launchd agent (macOS)')
            [CompletionResult]::new('uninstall-agent', 'uninstall-agent', [CompletionResultType]::ParameterValue, 'Stop and remove the agent installed by `install-agent`')
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Point pip, uv, poetry, npm, cargo, Maven or Gradle at awsproxy''s repository mounts')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('docker-credential', 'docker-credential', [CompletionResultType]::ParameterValue, 'The Docker credential helper for ECR (what `docker-credential-awsproxy` runs)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'awsproxy;serve' {
            [CompletionResult]::new('--proxy-listen', '--proxy-listen', [CompletionResultType]::ParameterName, 'Forward proxy listen address (overrides `[proxy] listen`)')
            [CompletionResult]::new('--repos-listen', '--repos-listen', [CompletionResultType]::ParameterName, 'Repository listener address (overrides `[repos] listen`)')
            [CompletionResult]::new('--creds-listen', '--creds-listen', [CompletionResultType]::ParameterName, 'Credentials endpoint address (overrides `[creds] listen`)')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Metrics and status page address (overrides `[metrics] listen`)')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Disk cache directory (overrides `[cache] dir`)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;sso' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in to an SSO session and write the AWS CLI''s token cache')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show sessions, time left and whether they can refresh on their own')
            [CompletionResult]::new('profiles', 'profiles', [CompletionResultType]::ParameterValue, 'List the accounts and roles a session reaches; write them as profiles')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Keep sessions fresh with their refresh tokens; notify when a login is needed')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Log out of a session and remove its cached token')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'awsproxy;sso;login' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Log in to the session used by this profile instead')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--use-device-code', '--use-device-code', [CompletionResultType]::ParameterName, 'Use the device-code flow (a URL and a code to confirm in any browser)')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Don''t try to open a browser; print the URL instead')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;sso;status' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('--prompt', '--prompt', [CompletionResultType]::ParameterName, 'One short line for a shell prompt (`corp 3h05m`, `corp login!`); reads only local files and always exits 0')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;sso;profiles' {
            [CompletionResult]::new('--template', '--template', [CompletionResultType]::ParameterName, 'Profile names: {account_name}, {account_id}, {role_name}, {session}')
            [CompletionResult]::new('--prefix', '--prefix', [CompletionResultType]::ParameterName, 'Prepended to every profile name')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'The profiles'' `region` (default: the session''s `sso_region`)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--write', '--write', [CompletionResultType]::ParameterName, 'Write the profiles into the awsproxy block of the AWS config file')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'With --write: print the diff and change nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;sso;watch' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--once', '--once', [CompletionResultType]::ParameterName, 'Do one pass over all sessions and exit (for cron and tests)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;sso;logout' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;sso;help' {
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in to an SSO session and write the AWS CLI''s token cache')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show sessions, time left and whether they can refresh on their own')
            [CompletionResult]::new('profiles', 'profiles', [CompletionResultType]::ParameterValue, 'List the accounts and roles a session reaches; write them as profiles')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Keep sessions fresh with their refresh tokens; notify when a login is needed')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Log out of a session and remove its cached token')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'awsproxy;sso;help;login' {
            break
        }
        'awsproxy;sso;help;status' {
            break
        }
        'awsproxy;sso;help;profiles' {
            break
        }
        'awsproxy;sso;help;watch' {
            break
        }
        'awsproxy;sso;help;logout' {
            break
        }
        'awsproxy;sso;help;help' {
            break
        }
        'awsproxy;creds' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve the ECS container-credentials endpoint (`[creds]` in the config)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Print credentials for a profile: credential_process JSON or shell exports')
            [CompletionResult]::new('container-env', 'container-env', [CompletionResultType]::ParameterValue, 'Print what a container needs to use a client''s credentials')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'awsproxy;creds;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Listen address (overrides `[creds] listen`)')
            [CompletionResult]::new('--print-env', '--print-env', [CompletionResultType]::ParameterName, 'Print the environment variables a client needs, then exit')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;creds;export' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'The AWS profile to take credentials from (default: the default chain)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;creds;container-env' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'The endpoint''s listen address (overrides `[creds] listen`, as for `creds serve`)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON: `{"environment": {NAME: VALUE}, "volumes": ["SRC:DST:ro"], "extra_hosts": [...]}`')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;creds;help' {
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve the ECS container-credentials endpoint (`[creds]` in the config)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Print credentials for a profile: credential_process JSON or shell exports')
            [CompletionResult]::new('container-env', 'container-env', [CompletionResultType]::ParameterValue, 'Print what a container needs to use a client''s credentials')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'awsproxy;creds;help;serve' {
            break
        }
        'awsproxy;creds;help;export' {
            break
        }
        'awsproxy;creds;help;container-env' {
            break
        }
        'awsproxy;creds;help;help' {
            break
        }
        'awsproxy;token' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print a CodeArtifact authorization token (cached until 15 minutes before expiry)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'awsproxy;token;get' {
            [CompletionResult]::new('--repo', '--repo', [CompletionResultType]::ParameterName, 'A repository mount from the config (`[[repos.pypi]]`, `[[repos.npm]]`, `[[repos.cargo]]`; `FORMAT:NAME` when two formats share a name), instead of --domain/--domain-owner')
            [CompletionResult]::new('--domain', '--domain', [CompletionResultType]::ParameterName, 'CodeArtifact domain')
            [CompletionResult]::new('--domain-owner', '--domain-owner', [CompletionResultType]::ParameterName, 'AWS account that owns the domain')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region of the domain [default: from the profile or environment]')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Token lifetime in seconds: 0 (as long as the credentials) or 900 to 43200')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile for the credentials [default: the default chain]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (token, expiration, domain, owner, region)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;token;help' {
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print a CodeArtifact authorization token (cached until 15 minutes before expiry)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'awsproxy;token;help;get' {
            break
        }
        'awsproxy;token;help;help' {
            break
        }
        'awsproxy;cache' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List cached entries')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Remove cached entries (safe while `serve` is running)')
            [CompletionResult]::new('warm', 'warm', [CompletionResultType]::ParameterValue, 'Fetch what a requirements file or lockfile names into the cache, through the running `serve`''s PyPI mount')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'awsproxy;cache;ls' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;cache;purge' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Remove every entry')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be removed without removing it')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;cache;warm' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'A pip requirements file (its `-r`/`-c` files too); repeatable')
            [CompletionResult]::new('--requirement', '--requirement', [CompletionResultType]::ParameterName, 'A pip requirements file (its `-r`/`-c` files too); repeatable')
            [CompletionResult]::new('--lock', '--lock', [CompletionResultType]::ParameterName, 'A uv.lock, poetry.lock or package-lock.json; repeatable')
            [CompletionResult]::new('--mount', '--mount', [CompletionResultType]::ParameterName, 'The `[[repos.pypi]]` (or, for package-lock.json, `[[repos.npm]]`) mount (needed when there are several)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--all-platforms', '--all-platforms', [CompletionResultType]::ParameterName, 'Also wheels for other operating systems and architectures')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON summary (files, bytes, failures)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;cache;help' {
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List cached entries')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Remove cached entries (safe while `serve` is running)')
            [CompletionResult]::new('warm', 'warm', [CompletionResultType]::ParameterValue, 'Fetch what a requirements file or lockfile names into the cache, through the running `serve`''s PyPI mount')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'awsproxy;cache;help;ls' {
            break
        }
        'awsproxy;cache;help;purge' {
            break
        }
        'awsproxy;cache;help;warm' {
            break
        }
        'awsproxy;cache;help;help' {
            break
        }
        'awsproxy;ca' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Print or write the CA certificate (created on first use)')
            [CompletionResult]::new('trust', 'trust', [CompletionResultType]::ParameterValue, 'Trust the CA in the system store, the NSS database, Java and a combined bundle')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'awsproxy;ca;export' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Certificate encoding')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write to this file instead of stdout')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;ca;trust' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Say what would change without changing anything')
            [CompletionResult]::new('--undo', '--undo', [CompletionResultType]::ParameterName, 'Remove the CA from every store it was added to')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;ca;help' {
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Print or write the CA certificate (created on first use)')
            [CompletionResult]::new('trust', 'trust', [CompletionResultType]::ParameterValue, 'Trust the CA in the system store, the NSS database, Java and a combined bundle')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'awsproxy;ca;help;export' {
            break
        }
        'awsproxy;ca;help;trust' {
            break
        }
        'awsproxy;ca;help;help' {
            break
        }
        'awsproxy;config' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate the configuration file; exit 2 with file:line:column when invalid')
            [CompletionResult]::new('default', 'default', [CompletionResultType]::ParameterValue, 'Print the embedded default configuration, with every section explained')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'awsproxy;config;check' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as JSON')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;config;default' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;config;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate the configuration file; exit 2 with file:line:column when invalid')
            [CompletionResult]::new('default', 'default', [CompletionResultType]::ParameterValue, 'Print the embedded default configuration, with every section explained')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'awsproxy;config;help;check' {
            break
        }
        'awsproxy;config;help;default' {
            break
        }
        'awsproxy;config;help;help' {
            break
        }
        'awsproxy;env' {
            [CompletionResult]::new('--shell', '--shell', [CompletionResultType]::ParameterName, 'The shell to write for [default: from $SHELL, else bash]')
            [CompletionResult]::new('--mount', '--mount', [CompletionResultType]::ParameterName, 'The PyPI or npm mount to point PIP_INDEX_URL/NPM_CONFIG_REGISTRY at [default: the only one configured]')
            [CompletionResult]::new('--creds', '--creds', [CompletionResultType]::ParameterName, 'Also AWS_CONTAINER_CREDENTIALS_FULL_URI and the token (or token file) of this `[[creds.client]]`, for SDKs to use `creds serve`')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--unset', '--unset', [CompletionResultType]::ParameterName, 'Print the lines that unset the same variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the variables as a JSON object instead')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;doctor' {
            [CompletionResult]::new('--probe', '--probe', [CompletionResultType]::ParameterName, 'Only GET this http:// URL (e.g. `/livez` or `/readyz` of `[metrics] listen`): exit 0 on a 2xx answer within 3 seconds, else 1')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--config-only', '--config-only', [CompletionResultType]::ParameterName, 'Only validate the configuration file')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;exec' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'The profile whose credentials the command gets (default: AWS_PROFILE, else the default chain)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Export the current credentials as AWS_ACCESS_KEY_ID etc. with AWS_CREDENTIAL_EXPIRATION instead (they don''t refresh)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;console' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'The AWS profile (default: `AWS_PROFILE`, else `default`)')
            [CompletionResult]::new('--browser', '--browser', [CompletionResultType]::ParameterName, 'The browser command to run with the URL (default: `BROWSER`, else the system''s)')
            [CompletionResult]::new('--destination', '--destination', [CompletionResultType]::ParameterName, 'A console page to open instead of the home page')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'The console''s region (default: the profile''s)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--print', '--print', [CompletionResultType]::ParameterName, 'Print the sign-in URL instead of opening a browser (valid 15 minutes; it signs in whoever opens it)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;install-agent' {
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Write for this platform instead of the current one (for tests)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the unit and the commands without changing anything')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite a unit that awsproxy did not write')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;uninstall-agent' {
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Act for this platform instead of the current one (for tests)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would be removed without changing anything')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Remove the unit even if awsproxy did not write it')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;setup' {
            [CompletionResult]::new('--mount', '--mount', [CompletionResultType]::ParameterName, 'The mount to use (required when the tool''s format has several)')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Edit the project''s file in DIR instead of the user''s: uv.toml, pyproject.toml (poetry, which has no user-level file), .npmrc or .cargo/config.toml. Without DIR (last on the line, after the tools): the current directory')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the unified diff that would be applied; change nothing')
            [CompletionResult]::new('--undo', '--undo', [CompletionResultType]::ParameterName, 'Remove awsproxy''s block (and a file awsproxy created) again')
            [CompletionResult]::new('--replace-crates-io', '--replace-crates-io', [CompletionResultType]::ParameterName, 'cargo: also replace crates.io with the mount (`[source.crates-io]`)')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'List each tool''s file, the mount it uses and its state')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'With --status: print JSON instead of a table')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;completions' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;docker-credential' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level for messages on stderr [default: warn; info for daemons]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (repeat for more)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log output (repeat for less)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'awsproxy;help' {
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run every configured service in one process (the daemon)')
            [CompletionResult]::new('sso', 'sso', [CompletionResultType]::ParameterValue, 'IAM Identity Center (SSO): log in, show, keep fresh and log out sessions')
            [CompletionResult]::new('creds', 'creds', [CompletionResultType]::ParameterValue, 'Credentials for containers and tools: ECS endpoint and credential_process')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'CodeArtifact authorization tokens')
            [CompletionResult]::new('cache', 'cache', [CompletionResultType]::ParameterValue, 'Inspect and purge the HTTP cache (disk or S3 store)')
            [CompletionResult]::new('ca', 'ca', [CompletionResultType]::ParameterValue, 'The certificate authority used for TLS interception')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Check the configuration file, or print the embedded default')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, 'Print the shell lines that point tools at awsproxy: `eval "$(awsproxy env)"`')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Diagnose configuration, SSO, credentials, ports, CA trust and the agent')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with AWS credentials that stay fresh while it runs')
            [CompletionResult]::new('console', 'console', [CompletionResultType]::ParameterValue, 'Open the AWS console signed in as a profile''s role')
            [CompletionResult]::new('install-agent', 'install-agent', [CompletionResultType]::ParameterValue, 'Run `awsproxy serve` at login: a systemd user unit (Linux) or launchd agent (macOS)')
            [CompletionResult]::new('uninstall-agent', 'uninstall-agent', [CompletionResultType]::ParameterValue, 'Stop and remove the agent installed by `install-agent`')
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Point pip, uv, poetry, npm, cargo, Maven or Gradle at awsproxy''s repository mounts')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('docker-credential', 'docker-credential', [CompletionResultType]::ParameterValue, 'The Docker credential helper for ECR (what `docker-credential-awsproxy` runs)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'awsproxy;help;serve' {
            break
        }
        'awsproxy;help;sso' {
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in to an SSO session and write the AWS CLI''s token cache')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show sessions, time left and whether they can refresh on their own')
            [CompletionResult]::new('profiles', 'profiles', [CompletionResultType]::ParameterValue, 'List the accounts and roles a session reaches; write them as profiles')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Keep sessions fresh with their refresh tokens; notify when a login is needed')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Log out of a session and remove its cached token')
            break
        }
        'awsproxy;help;sso;login' {
            break
        }
        'awsproxy;help;sso;status' {
            break
        }
        'awsproxy;help;sso;profiles' {
            break
        }
        'awsproxy;help;sso;watch' {
            break
        }
        'awsproxy;help;sso;logout' {
            break
        }
        'awsproxy;help;creds' {
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve the ECS container-credentials endpoint (`[creds]` in the config)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Print credentials for a profile: credential_process JSON or shell exports')
            [CompletionResult]::new('container-env', 'container-env', [CompletionResultType]::ParameterValue, 'Print what a container needs to use a client''s credentials')
            break
        }
        'awsproxy;help;creds;serve' {
            break
        }
        'awsproxy;help;creds;export' {
            break
        }
        'awsproxy;help;creds;container-env' {
            break
        }
        'awsproxy;help;token' {
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print a CodeArtifact authorization token (cached until 15 minutes before expiry)')
            break
        }
        'awsproxy;help;token;get' {
            break
        }
        'awsproxy;help;cache' {
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List cached entries')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Remove cached entries (safe while `serve` is running)')
            [CompletionResult]::new('warm', 'warm', [CompletionResultType]::ParameterValue, 'Fetch what a requirements file or lockfile names into the cache, through the running `serve`''s PyPI mount')
            break
        }
        'awsproxy;help;cache;ls' {
            break
        }
        'awsproxy;help;cache;purge' {
            break
        }
        'awsproxy;help;cache;warm' {
            break
        }
        'awsproxy;help;ca' {
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Print or write the CA certificate (created on first use)')
            [CompletionResult]::new('trust', 'trust', [CompletionResultType]::ParameterValue, 'Trust the CA in the system store, the NSS database, Java and a combined bundle')
            break
        }
        'awsproxy;help;ca;export' {
            break
        }
        'awsproxy;help;ca;trust' {
            break
        }
        'awsproxy;help;config' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate the configuration file; exit 2 with file:line:column when invalid')
            [CompletionResult]::new('default', 'default', [CompletionResultType]::ParameterValue, 'Print the embedded default configuration, with every section explained')
            break
        }
        'awsproxy;help;config;check' {
            break
        }
        'awsproxy;help;config;default' {
            break
        }
        'awsproxy;help;env' {
            break
        }
        'awsproxy;help;doctor' {
            break
        }
        'awsproxy;help;exec' {
            break
        }
        'awsproxy;help;console' {
            break
        }
        'awsproxy;help;install-agent' {
            break
        }
        'awsproxy;help;uninstall-agent' {
            break
        }
        'awsproxy;help;setup' {
            break
        }
        'awsproxy;help;completions' {
            break
        }
        'awsproxy;help;docker-credential' {
            break
        }
        'awsproxy;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
