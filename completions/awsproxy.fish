# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_awsproxy_global_optspecs
    string join \n config= log-level= log-format= v/verbose q/quiet h/help V/version
end

function __fish_awsproxy_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_awsproxy_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_awsproxy_using_subcommand
    set -l cmd (__fish_awsproxy_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c awsproxy -n "__fish_awsproxy_needs_command" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_needs_command" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_needs_command" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_needs_command" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_needs_command" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_needs_command" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_needs_command" -f -a "serve" -d 'Run every configured service in one process (the daemon)'
complete -c awsproxy -n "__fish_awsproxy_needs_command" -f -a "sso" -d 'IAM Identity Center (SSO): log in, show, keep fresh and log out sessions'
complete -c awsproxy -n "__fish_awsproxy_needs_command" -f -a "creds" -d 'Credentials for containers and tools: ECS endpoint and credential_process'
complete -c awsproxy -n "__fish_awsproxy_needs_command" -f -a "token" -d 'CodeArtifact authorization tokens'
complete -c awsproxy -n "__fish_awsproxy_needs_command" -f -a "cache" -d 'Inspect and purge the HTTP cache (disk or S3 store)'
complete -c awsproxy -n "__fish_awsproxy_needs_command" -f -a "ca" -d 'The certificate authority used for TLS interception'
complete -c awsproxy -n "__fish_awsproxy_needs_command" -f -a "config" -d 'Check the configuration file, or print the embedded default'
complete -c awsproxy -n "__fish_awsproxy_needs_command" -f -a "env" -d 'Print the shell lines that point tools at awsproxy: `eval "$(awsproxy env)"`'
complete -c awsproxy -n "__fish_awsproxy_needs_command" -f -a "doctor" -d 'Diagnose configuration, SSO, credentials, ports, CA trust and the agent'
complete -c awsproxy -n "__fish_awsproxy_needs_command" -f -a "exec" -d 'Run a command with AWS credentials that stay fresh while it runs'
complete -c awsproxy -n "__fish_awsproxy_needs_command" -f -a "console" -d 'Open the AWS console signed in as a profile\'s role'
complete -c awsproxy -n "__fish_awsproxy_needs_command" -f -a "install-agent" -d 'Run `awsproxy serve` at login: a systemd user unit (Linux) or launchd agent (macOS)'
complete -c awsproxy -n "__fish_awsproxy_needs_command" -f -a "uninstall-agent" -d 'Stop and remove the agent installed by `install-agent`'
complete -c awsproxy -n "__fish_awsproxy_needs_command" -f -a "setup" -d 'Point pip, uv, poetry, npm, cargo, Maven or Gradle at awsproxy\'s repository mounts'
complete -c awsproxy -n "__fish_awsproxy_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c awsproxy -n "__fish_awsproxy_needs_command" -f -a "docker-credential" -d 'The Docker credential helper for ECR (what `docker-credential-awsproxy` runs)'
complete -c awsproxy -n "__fish_awsproxy_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand serve" -l proxy-listen -d 'Forward proxy listen address (overrides `[proxy] listen`)' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand serve" -l repos-listen -d 'Repository listener address (overrides `[repos] listen`)' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand serve" -l creds-listen -d 'Credentials endpoint address (overrides `[creds] listen`)' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand serve" -l metrics-listen -d 'Metrics and status page address (overrides `[metrics] listen`)' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand serve" -l cache-dir -d 'Disk cache directory (overrides `[cache] dir`)' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand serve" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand serve" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand serve" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand serve" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand serve" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand serve" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and not __fish_seen_subcommand_from login status profiles watch logout help" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and not __fish_seen_subcommand_from login status profiles watch logout help" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and not __fish_seen_subcommand_from login status profiles watch logout help" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and not __fish_seen_subcommand_from login status profiles watch logout help" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and not __fish_seen_subcommand_from login status profiles watch logout help" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and not __fish_seen_subcommand_from login status profiles watch logout help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and not __fish_seen_subcommand_from login status profiles watch logout help" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and not __fish_seen_subcommand_from login status profiles watch logout help" -f -a "login" -d 'Log in to an SSO session and write the AWS CLI\'s token cache'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and not __fish_seen_subcommand_from login status profiles watch logout help" -f -a "status" -d 'Show sessions, time left and whether they can refresh on their own'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and not __fish_seen_subcommand_from login status profiles watch logout help" -f -a "profiles" -d 'List the accounts and roles a session reaches; write them as profiles'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and not __fish_seen_subcommand_from login status profiles watch logout help" -f -a "watch" -d 'Keep sessions fresh with their refresh tokens; notify when a login is needed'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and not __fish_seen_subcommand_from login status profiles watch logout help" -f -a "logout" -d 'Log out of a session and remove its cached token'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and not __fish_seen_subcommand_from login status profiles watch logout help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from login" -l profile -d 'Log in to the session used by this profile instead' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from login" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from login" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from login" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from login" -l use-device-code -d 'Use the device-code flow (a URL and a code to confirm in any browser)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from login" -l no-browser -d 'Don\'t try to open a browser; print the URL instead'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from login" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from login" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from login" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from status" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from status" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from status" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from status" -l json -d 'Print JSON instead of a table'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from status" -l prompt -d 'One short line for a shell prompt (`corp 3h05m`, `corp login!`); reads only local files and always exits 0'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from status" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from profiles" -l template -d 'Profile names: {account_name}, {account_id}, {role_name}, {session}' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from profiles" -l prefix -d 'Prepended to every profile name' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from profiles" -l region -d 'The profiles\' `region` (default: the session\'s `sso_region`)' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from profiles" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from profiles" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from profiles" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from profiles" -l write -d 'Write the profiles into the awsproxy block of the AWS config file'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from profiles" -l dry-run -d 'With --write: print the diff and change nothing'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from profiles" -l json -d 'Print JSON instead of a table'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from profiles" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from profiles" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from profiles" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from profiles" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from watch" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from watch" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from watch" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from watch" -l once -d 'Do one pass over all sessions and exit (for cron and tests)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from watch" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from watch" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from watch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from watch" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from logout" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from logout" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from logout" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from logout" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from logout" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from logout" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from logout" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from help" -f -a "login" -d 'Log in to an SSO session and write the AWS CLI\'s token cache'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from help" -f -a "status" -d 'Show sessions, time left and whether they can refresh on their own'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from help" -f -a "profiles" -d 'List the accounts and roles a session reaches; write them as profiles'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from help" -f -a "watch" -d 'Keep sessions fresh with their refresh tokens; notify when a login is needed'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from help" -f -a "logout" -d 'Log out of a session and remove its cached token'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand sso; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and not __fish_seen_subcommand_from serve export container-env help" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and not __fish_seen_subcommand_from serve export container-env help" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and not __fish_seen_subcommand_from serve export container-env help" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and not __fish_seen_subcommand_from serve export container-env help" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and not __fish_seen_subcommand_from serve export container-env help" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and not __fish_seen_subcommand_from serve export container-env help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and not __fish_seen_subcommand_from serve export container-env help" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and not __fish_seen_subcommand_from serve export container-env help" -f -a "serve" -d 'Serve the ECS container-credentials endpoint (`[creds]` in the config)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and not __fish_seen_subcommand_from serve export container-env help" -f -a "export" -d 'Print credentials for a profile: credential_process JSON or shell exports'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and not __fish_seen_subcommand_from serve export container-env help" -f -a "container-env" -d 'Print what a container needs to use a client\'s credentials'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and not __fish_seen_subcommand_from serve export container-env help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from serve" -l listen -d 'Listen address (overrides `[creds] listen`)' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from serve" -l print-env -d 'Print the environment variables a client needs, then exit' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from serve" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from serve" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from serve" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from serve" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from serve" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from serve" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from export" -l profile -d 'The AWS profile to take credentials from (default: the default chain)' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from export" -l format -d 'Output format' -r -f -a "process\t'credential_process JSON (Version 1)'
env\t'`export AWS_...=...` lines for a shell'
json\t'A JSON object with the credentials and their expiry'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from export" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from export" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from export" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from export" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from export" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from export" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from container-env" -l format -d 'Output format' -r -f -a "docker\t'`docker run` (and `podman run`) flags: `-e NAME=VALUE -v SRC:DST:ro --add-host ...`'
compose\t'A docker compose fragment: `environment:` and `volumes:` for a service'
env\t'`NAME=VALUE` lines for `docker run --env-file` (mount the token file yourself)'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from container-env" -l listen -d 'The endpoint\'s listen address (overrides `[creds] listen`, as for `creds serve`)' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from container-env" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from container-env" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from container-env" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from container-env" -l json -d 'Print JSON: `{"environment": {NAME: VALUE}, "volumes": ["SRC:DST:ro"], "extra_hosts": [...]}`'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from container-env" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from container-env" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from container-env" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from container-env" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from help" -f -a "serve" -d 'Serve the ECS container-credentials endpoint (`[creds]` in the config)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from help" -f -a "export" -d 'Print credentials for a profile: credential_process JSON or shell exports'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from help" -f -a "container-env" -d 'Print what a container needs to use a client\'s credentials'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand creds; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and not __fish_seen_subcommand_from get help" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and not __fish_seen_subcommand_from get help" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and not __fish_seen_subcommand_from get help" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and not __fish_seen_subcommand_from get help" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and not __fish_seen_subcommand_from get help" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and not __fish_seen_subcommand_from get help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and not __fish_seen_subcommand_from get help" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and not __fish_seen_subcommand_from get help" -f -a "get" -d 'Print a CodeArtifact authorization token (cached until 15 minutes before expiry)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and not __fish_seen_subcommand_from get help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and __fish_seen_subcommand_from get" -l repo -d 'A repository mount from the config (`[[repos.pypi]]`, `[[repos.npm]]`, `[[repos.cargo]]`; `FORMAT:NAME` when two formats share a name), instead of --domain/--domain-owner' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and __fish_seen_subcommand_from get" -l domain -d 'CodeArtifact domain' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and __fish_seen_subcommand_from get" -l domain-owner -d 'AWS account that owns the domain' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and __fish_seen_subcommand_from get" -l region -d 'AWS region of the domain [default: from the profile or environment]' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and __fish_seen_subcommand_from get" -l duration -d 'Token lifetime in seconds: 0 (as long as the credentials) or 900 to 43200' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and __fish_seen_subcommand_from get" -l profile -d 'AWS profile for the credentials [default: the default chain]' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and __fish_seen_subcommand_from get" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and __fish_seen_subcommand_from get" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and __fish_seen_subcommand_from get" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and __fish_seen_subcommand_from get" -l json -d 'Print JSON (token, expiration, domain, owner, region)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and __fish_seen_subcommand_from get" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and __fish_seen_subcommand_from get" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and __fish_seen_subcommand_from get" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "get" -d 'Print a CodeArtifact authorization token (cached until 15 minutes before expiry)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and not __fish_seen_subcommand_from ls purge warm help" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and not __fish_seen_subcommand_from ls purge warm help" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and not __fish_seen_subcommand_from ls purge warm help" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and not __fish_seen_subcommand_from ls purge warm help" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and not __fish_seen_subcommand_from ls purge warm help" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and not __fish_seen_subcommand_from ls purge warm help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and not __fish_seen_subcommand_from ls purge warm help" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and not __fish_seen_subcommand_from ls purge warm help" -f -a "ls" -d 'List cached entries'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and not __fish_seen_subcommand_from ls purge warm help" -f -a "purge" -d 'Remove cached entries (safe while `serve` is running)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and not __fish_seen_subcommand_from ls purge warm help" -f -a "warm" -d 'Fetch what a requirements file or lockfile names into the cache, through the running `serve`\'s PyPI mount'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and not __fish_seen_subcommand_from ls purge warm help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from ls" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from ls" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from ls" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from ls" -l json -d 'Print JSON instead of a table'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from purge" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from purge" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from purge" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from purge" -l all -d 'Remove every entry'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from purge" -l dry-run -d 'Show what would be removed without removing it'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from purge" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from purge" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from purge" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from purge" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from warm" -s r -l requirement -d 'A pip requirements file (its `-r`/`-c` files too); repeatable' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from warm" -l lock -d 'A uv.lock, poetry.lock or package-lock.json; repeatable' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from warm" -l mount -d 'The `[[repos.pypi]]` (or, for package-lock.json, `[[repos.npm]]`) mount (needed when there are several)' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from warm" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from warm" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from warm" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from warm" -l all-platforms -d 'Also wheels for other operating systems and architectures'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from warm" -l json -d 'Print a JSON summary (files, bytes, failures)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from warm" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from warm" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from warm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from warm" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "ls" -d 'List cached entries'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "purge" -d 'Remove cached entries (safe while `serve` is running)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "warm" -d 'Fetch what a requirements file or lockfile names into the cache, through the running `serve`\'s PyPI mount'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and not __fish_seen_subcommand_from export trust help" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and not __fish_seen_subcommand_from export trust help" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and not __fish_seen_subcommand_from export trust help" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and not __fish_seen_subcommand_from export trust help" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and not __fish_seen_subcommand_from export trust help" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and not __fish_seen_subcommand_from export trust help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and not __fish_seen_subcommand_from export trust help" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and not __fish_seen_subcommand_from export trust help" -f -a "export" -d 'Print or write the CA certificate (created on first use)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and not __fish_seen_subcommand_from export trust help" -f -a "trust" -d 'Trust the CA in the system store, the NSS database, Java and a combined bundle'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and not __fish_seen_subcommand_from export trust help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and __fish_seen_subcommand_from export" -l format -d 'Certificate encoding' -r -f -a "pem\t''
der\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and __fish_seen_subcommand_from export" -l out -d 'Write to this file instead of stdout' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and __fish_seen_subcommand_from export" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and __fish_seen_subcommand_from export" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and __fish_seen_subcommand_from export" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and __fish_seen_subcommand_from export" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and __fish_seen_subcommand_from export" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and __fish_seen_subcommand_from export" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and __fish_seen_subcommand_from trust" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and __fish_seen_subcommand_from trust" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and __fish_seen_subcommand_from trust" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and __fish_seen_subcommand_from trust" -l dry-run -d 'Say what would change without changing anything'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and __fish_seen_subcommand_from trust" -l undo -d 'Remove the CA from every store it was added to'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and __fish_seen_subcommand_from trust" -l json -d 'Print JSON instead of a table'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and __fish_seen_subcommand_from trust" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and __fish_seen_subcommand_from trust" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and __fish_seen_subcommand_from trust" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and __fish_seen_subcommand_from trust" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and __fish_seen_subcommand_from help" -f -a "export" -d 'Print or write the CA certificate (created on first use)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and __fish_seen_subcommand_from help" -f -a "trust" -d 'Trust the CA in the system store, the NSS database, Java and a combined bundle'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand ca; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and not __fish_seen_subcommand_from check default help" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and not __fish_seen_subcommand_from check default help" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and not __fish_seen_subcommand_from check default help" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and not __fish_seen_subcommand_from check default help" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and not __fish_seen_subcommand_from check default help" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and not __fish_seen_subcommand_from check default help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and not __fish_seen_subcommand_from check default help" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and not __fish_seen_subcommand_from check default help" -f -a "check" -d 'Validate the configuration file; exit 2 with file:line:column when invalid'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and not __fish_seen_subcommand_from check default help" -f -a "default" -d 'Print the embedded default configuration, with every section explained'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and not __fish_seen_subcommand_from check default help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and __fish_seen_subcommand_from check" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and __fish_seen_subcommand_from check" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and __fish_seen_subcommand_from check" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and __fish_seen_subcommand_from check" -l json -d 'Print the result as JSON'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and __fish_seen_subcommand_from check" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and __fish_seen_subcommand_from default" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and __fish_seen_subcommand_from default" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and __fish_seen_subcommand_from default" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and __fish_seen_subcommand_from default" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and __fish_seen_subcommand_from default" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and __fish_seen_subcommand_from default" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and __fish_seen_subcommand_from default" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "check" -d 'Validate the configuration file; exit 2 with file:line:column when invalid'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "default" -d 'Print the embedded default configuration, with every section explained'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand env" -l shell -d 'The shell to write for [default: from $SHELL, else bash]' -r -f -a "bash\t''
zsh\t''
fish\t''
powershell\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand env" -l mount -d 'The PyPI or npm mount to point PIP_INDEX_URL/NPM_CONFIG_REGISTRY at [default: the only one configured]' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand env" -l creds -d 'Also AWS_CONTAINER_CREDENTIALS_FULL_URI and the token (or token file) of this `[[creds.client]]`, for SDKs to use `creds serve`' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand env" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand env" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand env" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand env" -l unset -d 'Print the lines that unset the same variables'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand env" -l json -d 'Print the variables as a JSON object instead'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand env" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand env" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand env" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand env" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand doctor" -l probe -d 'Only GET this http:// URL (e.g. `/livez` or `/readyz` of `[metrics] listen`): exit 0 on a 2xx answer within 3 seconds, else 1' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand doctor" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand doctor" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand doctor" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand doctor" -l config-only -d 'Only validate the configuration file'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand doctor" -l json -d 'Print JSON instead of a table'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand doctor" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand doctor" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand exec" -l profile -d 'The profile whose credentials the command gets (default: AWS_PROFILE, else the default chain)' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand exec" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand exec" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand exec" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand exec" -l env -d 'Export the current credentials as AWS_ACCESS_KEY_ID etc. with AWS_CREDENTIAL_EXPIRATION instead (they don\'t refresh)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand exec" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand exec" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand exec" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand exec" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand console" -l profile -d 'The AWS profile (default: `AWS_PROFILE`, else `default`)' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand console" -l browser -d 'The browser command to run with the URL (default: `BROWSER`, else the system\'s)' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand console" -l destination -d 'A console page to open instead of the home page' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand console" -l region -d 'The console\'s region (default: the profile\'s)' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand console" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand console" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand console" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand console" -l print -d 'Print the sign-in URL instead of opening a browser (valid 15 minutes; it signs in whoever opens it)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand console" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand console" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand console" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand console" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand install-agent" -l platform -d 'Write for this platform instead of the current one (for tests)' -r -f -a "linux\t'A systemd user unit'
macos\t'A launchd agent'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand install-agent" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand install-agent" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand install-agent" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand install-agent" -l dry-run -d 'Print the unit and the commands without changing anything'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand install-agent" -l force -d 'Overwrite a unit that awsproxy did not write'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand install-agent" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand install-agent" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand install-agent" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand install-agent" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand uninstall-agent" -l platform -d 'Act for this platform instead of the current one (for tests)' -r -f -a "linux\t'A systemd user unit'
macos\t'A launchd agent'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand uninstall-agent" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand uninstall-agent" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand uninstall-agent" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand uninstall-agent" -l dry-run -d 'Print what would be removed without changing anything'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand uninstall-agent" -l force -d 'Remove the unit even if awsproxy did not write it'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand uninstall-agent" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand uninstall-agent" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand uninstall-agent" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand uninstall-agent" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand setup" -l mount -d 'The mount to use (required when the tool\'s format has several)' -r
complete -c awsproxy -n "__fish_awsproxy_using_subcommand setup" -l project -d 'Edit the project\'s file in DIR instead of the user\'s: uv.toml, pyproject.toml (poetry, which has no user-level file), .npmrc or .cargo/config.toml. Without DIR (last on the line, after the tools): the current directory' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand setup" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand setup" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand setup" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand setup" -l dry-run -d 'Print the unified diff that would be applied; change nothing'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand setup" -l undo -d 'Remove awsproxy\'s block (and a file awsproxy created) again'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand setup" -l replace-crates-io -d 'cargo: also replace crates.io with the mount (`[source.crates-io]`)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand setup" -l status -d 'List each tool\'s file, the mount it uses and its state'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand setup" -l json -d 'With --status: print JSON instead of a table'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand setup" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand setup" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand setup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand setup" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand completions" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand completions" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand completions" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand completions" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand completions" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand completions" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand docker-credential" -l config -d 'Configuration file [default: $XDG_CONFIG_HOME/awsproxy/config.toml]' -r -F
complete -c awsproxy -n "__fish_awsproxy_using_subcommand docker-credential" -l log-level -d 'Log level for messages on stderr [default: warn; info for daemons]' -r -f -a "error\t''
warn\t''
info\t''
debug\t''
trace\t''"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand docker-credential" -l log-format -d 'Log format on stderr' -r -f -a "human\t'Human-readable lines'
json\t'One JSON object per line'"
complete -c awsproxy -n "__fish_awsproxy_using_subcommand docker-credential" -s v -l verbose -d 'More log output (repeat for more)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand docker-credential" -s q -l quiet -d 'Less log output (repeat for less)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand docker-credential" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand docker-credential" -s V -l version -d 'Print version'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and not __fish_seen_subcommand_from serve sso creds token cache ca config env doctor exec console install-agent uninstall-agent setup completions docker-credential help" -f -a "serve" -d 'Run every configured service in one process (the daemon)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and not __fish_seen_subcommand_from serve sso creds token cache ca config env doctor exec console install-agent uninstall-agent setup completions docker-credential help" -f -a "sso" -d 'IAM Identity Center (SSO): log in, show, keep fresh and log out sessions'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and not __fish_seen_subcommand_from serve sso creds token cache ca config env doctor exec console install-agent uninstall-agent setup completions docker-credential help" -f -a "creds" -d 'Credentials for containers and tools: ECS endpoint and credential_process'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and not __fish_seen_subcommand_from serve sso creds token cache ca config env doctor exec console install-agent uninstall-agent setup completions docker-credential help" -f -a "token" -d 'CodeArtifact authorization tokens'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and not __fish_seen_subcommand_from serve sso creds token cache ca config env doctor exec console install-agent uninstall-agent setup completions docker-credential help" -f -a "cache" -d 'Inspect and purge the HTTP cache (disk or S3 store)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and not __fish_seen_subcommand_from serve sso creds token cache ca config env doctor exec console install-agent uninstall-agent setup completions docker-credential help" -f -a "ca" -d 'The certificate authority used for TLS interception'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and not __fish_seen_subcommand_from serve sso creds token cache ca config env doctor exec console install-agent uninstall-agent setup completions docker-credential help" -f -a "config" -d 'Check the configuration file, or print the embedded default'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and not __fish_seen_subcommand_from serve sso creds token cache ca config env doctor exec console install-agent uninstall-agent setup completions docker-credential help" -f -a "env" -d 'Print the shell lines that point tools at awsproxy: `eval "$(awsproxy env)"`'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and not __fish_seen_subcommand_from serve sso creds token cache ca config env doctor exec console install-agent uninstall-agent setup completions docker-credential help" -f -a "doctor" -d 'Diagnose configuration, SSO, credentials, ports, CA trust and the agent'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and not __fish_seen_subcommand_from serve sso creds token cache ca config env doctor exec console install-agent uninstall-agent setup completions docker-credential help" -f -a "exec" -d 'Run a command with AWS credentials that stay fresh while it runs'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and not __fish_seen_subcommand_from serve sso creds token cache ca config env doctor exec console install-agent uninstall-agent setup completions docker-credential help" -f -a "console" -d 'Open the AWS console signed in as a profile\'s role'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and not __fish_seen_subcommand_from serve sso creds token cache ca config env doctor exec console install-agent uninstall-agent setup completions docker-credential help" -f -a "install-agent" -d 'Run `awsproxy serve` at login: a systemd user unit (Linux) or launchd agent (macOS)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and not __fish_seen_subcommand_from serve sso creds token cache ca config env doctor exec console install-agent uninstall-agent setup completions docker-credential help" -f -a "uninstall-agent" -d 'Stop and remove the agent installed by `install-agent`'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and not __fish_seen_subcommand_from serve sso creds token cache ca config env doctor exec console install-agent uninstall-agent setup completions docker-credential help" -f -a "setup" -d 'Point pip, uv, poetry, npm, cargo, Maven or Gradle at awsproxy\'s repository mounts'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and not __fish_seen_subcommand_from serve sso creds token cache ca config env doctor exec console install-agent uninstall-agent setup completions docker-credential help" -f -a "completions" -d 'Print a shell completion script'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and not __fish_seen_subcommand_from serve sso creds token cache ca config env doctor exec console install-agent uninstall-agent setup completions docker-credential help" -f -a "docker-credential" -d 'The Docker credential helper for ECR (what `docker-credential-awsproxy` runs)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and not __fish_seen_subcommand_from serve sso creds token cache ca config env doctor exec console install-agent uninstall-agent setup completions docker-credential help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and __fish_seen_subcommand_from sso" -f -a "login" -d 'Log in to an SSO session and write the AWS CLI\'s token cache'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and __fish_seen_subcommand_from sso" -f -a "status" -d 'Show sessions, time left and whether they can refresh on their own'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and __fish_seen_subcommand_from sso" -f -a "profiles" -d 'List the accounts and roles a session reaches; write them as profiles'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and __fish_seen_subcommand_from sso" -f -a "watch" -d 'Keep sessions fresh with their refresh tokens; notify when a login is needed'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and __fish_seen_subcommand_from sso" -f -a "logout" -d 'Log out of a session and remove its cached token'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and __fish_seen_subcommand_from creds" -f -a "serve" -d 'Serve the ECS container-credentials endpoint (`[creds]` in the config)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and __fish_seen_subcommand_from creds" -f -a "export" -d 'Print credentials for a profile: credential_process JSON or shell exports'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and __fish_seen_subcommand_from creds" -f -a "container-env" -d 'Print what a container needs to use a client\'s credentials'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and __fish_seen_subcommand_from token" -f -a "get" -d 'Print a CodeArtifact authorization token (cached until 15 minutes before expiry)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "ls" -d 'List cached entries'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "purge" -d 'Remove cached entries (safe while `serve` is running)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "warm" -d 'Fetch what a requirements file or lockfile names into the cache, through the running `serve`\'s PyPI mount'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and __fish_seen_subcommand_from ca" -f -a "export" -d 'Print or write the CA certificate (created on first use)'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and __fish_seen_subcommand_from ca" -f -a "trust" -d 'Trust the CA in the system store, the NSS database, Java and a combined bundle'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "check" -d 'Validate the configuration file; exit 2 with file:line:column when invalid'
complete -c awsproxy -n "__fish_awsproxy_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "default" -d 'Print the embedded default configuration, with every section explained'
