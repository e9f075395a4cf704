use super::*;

fn endpoint(mount: &str) -> Endpoint {
    Endpoint {
        base: "http://127.0.0.1:9000".to_owned(),
        mount: mount.to_owned(),
        publish: false,
        replace_crates_io: false,
    }
}

fn written(plan: Plan) -> String {
    match plan {
        Plan::Write(text) => text,
        other => panic!("expected a write, got {other:?}"),
    }
}

/// Setup, setup again (no change), undo (the original, byte for byte).
fn round_trip(tool: Tool, original: Option<&str>, ep: &Endpoint) -> String {
    let env = Env::new();
    let new = written(setup(tool, original, ep, &env).unwrap());
    assert_eq!(setup(tool, Some(&new), ep, &env).unwrap(), Plan::Unchanged);
    match (undo(tool, Some(&new)).unwrap(), original) {
        (Plan::Delete, None) => {}
        (Plan::Write(text), Some(orig)) => assert_eq!(text, orig),
        (plan, orig) => panic!("undo gave {plan:?} for {orig:?}"),
    }
    new
}

#[test]
fn pip_goes_into_the_existing_global_section() {
    let original = "; my settings\n[global]\ntimeout =   60\n\n[install]\nno-cache-dir=true";
    let new = round_trip(Tool::Pip, Some(original), &endpoint("corp"));
    assert_eq!(
        new,
        "; my settings\n[global]\n# >>> awsproxy >>>\nindex-url = http://127.0.0.1:9000/pypi/corp/simple/\n# <<< awsproxy <<<\ntimeout =   60\n\n[install]\nno-cache-dir=true"
    );
}

#[test]
fn pip_adds_a_global_section_when_there_is_none() {
    let new = round_trip(Tool::Pip, None, &endpoint("corp"));
    assert!(
        new.starts_with("# >>> awsproxy >>> [created]\n[global]\nindex-url = "),
        "{new}"
    );
    round_trip(Tool::Pip, Some("[install]\nx = 1"), &endpoint("corp"));
    round_trip(Tool::Pip, Some(""), &endpoint("corp"));
}

#[test]
fn pip_refuses_overrides_and_broken_files() {
    let env = Env::new();
    let ep = endpoint("corp");
    let err = setup(
        Tool::Pip,
        Some("[global]\nindex_url = https://x/\n"),
        &ep,
        &env,
    )
    .unwrap_err();
    assert!(err.message.contains("index-url"), "{err:?}");
    let err = setup(
        Tool::Pip,
        Some("[install]\nindex-url = https://x/\n"),
        &ep,
        &env,
    )
    .unwrap_err();
    assert!(err.message.contains("[install]"), "{err:?}");
    let env = Env::from([("PIP_INDEX_URL".to_owned(), "https://x/".to_owned())]);
    assert!(
        setup(Tool::Pip, None, &ep, &env)
            .unwrap_err()
            .message
            .contains("PIP_INDEX_URL")
    );
    let err = setup(Tool::Pip, Some("index-url = x\n"), &ep, &Env::new()).unwrap_err();
    assert!(err.message.contains("does not parse"), "{err:?}");
}

#[test]
fn a_changed_mount_replaces_the_block_in_place() {
    let env = Env::new();
    let first = written(setup(Tool::Pip, Some("[global]\nx = 1\n"), &endpoint("a"), &env).unwrap());
    let second = written(setup(Tool::Pip, Some(&first), &endpoint("b"), &env).unwrap());
    assert_eq!(second, first.replace("/pypi/a/", "/pypi/b/"));
    assert_eq!(
        undo(Tool::Pip, Some(&second)).unwrap(),
        Plan::Write("[global]\nx = 1\n".to_owned())
    );
    assert_eq!(
        configured_url(Tool::Pip, Some(&second)).unwrap().as_deref(),
        Some("http://127.0.0.1:9000/pypi/b/simple/")
    );
    assert_eq!(mount_of("http://127.0.0.1:9000/pypi/b/simple/"), Some("b"));
}

#[test]
fn uv_appends_a_default_index() {
    let new = round_trip(
        Tool::Uv,
        Some("# uv\nnative-tls = true\n"),
        &endpoint("corp"),
    );
    let table: toml::Table = toml::from_str(&new).unwrap();
    let index = &table["index"][0];
    assert_eq!(
        index["url"].as_str(),
        Some("http://127.0.0.1:9000/pypi/corp/simple/")
    );
    assert_eq!(index["default"].as_bool(), Some(true));
    let env = Env::new();
    let taken = "[[index]]\nurl = \"https://x/\"\ndefault = true\n";
    assert!(setup(Tool::Uv, Some(taken), &endpoint("corp"), &env).is_err());
    let env = Env::from([("UV_DEFAULT_INDEX".to_owned(), "https://x/".to_owned())]);
    assert!(setup(Tool::Uv, None, &endpoint("corp"), &env).is_err());
    assert!(setup(Tool::Uv, Some("not toml ="), &endpoint("corp"), &Env::new()).is_err());
}

#[test]
fn npm_goes_before_any_section_and_adds_a_token_for_publishing() {
    let mut ep = endpoint("main");
    ep.publish = true;
    let new = round_trip(Tool::Npm, Some("save-exact=true\n[sec]\nx=1\n"), &ep);
    assert_eq!(
        new,
        "save-exact=true\n# >>> awsproxy >>>\nregistry=http://127.0.0.1:9000/npm/main/\n//127.0.0.1:9000/npm/main/:_authToken=unused\n# <<< awsproxy <<<\n[sec]\nx=1\n"
    );
    let env = Env::new();
    assert!(setup(Tool::Npm, Some("registry = https://r/\n"), &ep, &env).is_err());
    let env = Env::from([("npm_config_registry".to_owned(), "https://r/".to_owned())]);
    assert!(setup(Tool::Npm, None, &ep, &env).is_err());
}

#[test]
fn cargo_adds_a_registry_and_optionally_replaces_crates_io() {
    let mut ep = endpoint("crates");
    let new = round_trip(Tool::Cargo, Some("[net]\nretry = 3"), &ep);
    let table: toml::Table = toml::from_str(&new).unwrap();
    assert_eq!(
        table["registries"]["crates"]["index"].as_str(),
        Some("sparse+http://127.0.0.1:9000/cargo/crates/")
    );
    assert!(table.get("source").is_none());
    ep.replace_crates_io = true;
    let new = round_trip(Tool::Cargo, None, &ep);
    let table: toml::Table = toml::from_str(&new).unwrap();
    assert_eq!(
        table["source"]["crates-io"]["replace-with"].as_str(),
        Some("crates")
    );
    let env = Env::new();
    let taken = "[registries.crates]\nindex = \"x\"\n";
    assert!(setup(Tool::Cargo, Some(taken), &ep, &env).is_err());
    // An inline table would be defined twice: refused, not written.
    let inline = "registries = { other = { index = \"x\" } }\n";
    let err = setup(Tool::Cargo, Some(inline), &ep, &env).unwrap_err();
    assert!(err.message.contains("invalid"), "{err:?}");
}

#[test]
fn maven_inserts_into_mirrors_or_creates_them() {
    let ep = endpoint("corp");
    let with_mirrors = "<?xml version=\"1.0\"?>\n<settings>\n  <!-- mine -->\n  <mirrors>\n    <mirror><id>x</id><mirrorOf>external:*</mirrorOf><url>http://x/</url></mirror>\n  </mirrors>\n</settings>\n";
    let new = round_trip(Tool::Maven, Some(with_mirrors), &ep);
    assert!(
        new.contains("  <mirrors>\n    <!-- >>> awsproxy >>> -->\n    <mirror>\n      <id>awsproxy-corp</id>\n      <mirrorOf>*</mirrorOf>\n      <url>http://127.0.0.1:9000/maven/corp/</url>\n    </mirror>\n    <!-- <<< awsproxy <<< -->\n    <mirror><id>x</id>"),
        "{new}"
    );
    let without = "<settings>\n\t<localRepository>/r</localRepository>\n</settings>";
    let new = round_trip(Tool::Maven, Some(without), &ep);
    assert!(
        new.contains("<settings>\n  <!-- >>> awsproxy >>> -->\n  <mirrors>\n    <mirror>\n"),
        "{new}"
    );
    maven::check(&new).unwrap();
    let created = round_trip(Tool::Maven, None, &ep);
    assert!(
        created.starts_with("<!-- >>> awsproxy >>> [created] -->\n<settings "),
        "{created}"
    );
    maven::check(&created).unwrap();
}

#[test]
fn maven_refuses_broken_xml_and_named_mirrors() {
    let ep = endpoint("corp");
    let env = Env::new();
    let err = setup(
        Tool::Maven,
        Some("<settings><mirrors></settings>"),
        &ep,
        &env,
    )
    .unwrap_err();
    assert!(err.message.contains("does not parse"), "{err:?}");
    let err = setup(Tool::Maven, Some("<settings>\n<mirrors>\n<mirror><mirrorOf>central</mirrorOf></mirror>\n</mirrors>\n</settings>\n"), &ep, &env).unwrap_err();
    assert!(err.message.contains("`central`"), "{err:?}");
    assert!(
        setup(
            Tool::Maven,
            Some("<settings><mirrors/></settings>"),
            &ep,
            &env
        )
        .is_err()
    );
    assert!(setup(Tool::Maven, Some("<project/>"), &ep, &env).is_err());
}

#[test]
fn gradle_owns_its_whole_init_script() {
    let ep = endpoint("corp");
    let new = round_trip(Tool::Gradle, None, &ep);
    assert!(
        new.contains("def awsproxyMaven = 'http://127.0.0.1:9000/maven/corp/'"),
        "{new}"
    );
    assert!(setup(Tool::Gradle, Some("println 'mine'\n"), &ep, &Env::new()).is_err());
}

#[test]
fn undo_of_a_file_without_a_block_changes_nothing() {
    for tool in Tool::ALL {
        assert_eq!(undo(tool, None).unwrap(), Plan::Unchanged);
        assert_eq!(undo(tool, Some("")).unwrap(), Plan::Unchanged);
    }
}

#[test]
fn poetry_adds_a_primary_source_to_the_project() {
    let original = "[tool.poetry]\nname = \"p\"\n\n[[tool.poetry.source]]\nname = \"extra\"\nurl = \"https://x/simple/\"\npriority = \"supplemental\"\n\n[build-system]\nrequires = [\"poetry-core\"]\n";
    let new = round_trip(Tool::Poetry, Some(original), &endpoint("corp"));
    let table: toml::Table = toml::from_str(&new).unwrap();
    let sources = table["tool"]["poetry"]["source"].as_array().unwrap();
    assert_eq!(sources.len(), 2);
    assert_eq!(sources[1]["name"].as_str(), Some("awsproxy-corp"));
    assert_eq!(sources[1]["priority"].as_str(), Some("primary"));
    let env = Env::new();
    let primary =
        "[[tool.poetry.source]]\nname = \"corp\"\nurl = \"https://x/\"\npriority = \"primary\"\n";
    assert!(setup(Tool::Poetry, Some(primary), &endpoint("corp"), &env).is_err());
    let err = setup(Tool::Poetry, None, &endpoint("corp"), &env).unwrap_err();
    assert!(err.message.contains("no pyproject.toml"), "{err:?}");
}

#[test]
fn a_damaged_block_is_reported_not_guessed_at() {
    let damaged = "[global]\n# >>> awsproxy >>>\nindex-url = x\n";
    assert!(configured_url(Tool::Pip, Some(damaged)).is_err());
    let err = undo(Tool::Pip, Some(damaged)).unwrap_err();
    assert!(err.message.contains("damaged"), "{err:?}");
    assert!(setup(Tool::Pip, Some(damaged), &endpoint("corp"), &Env::new()).is_err());
}

#[test]
fn commands_name_each_mount_with_its_tools() {
    let source = crate::config::ConfigSource::EmbeddedDefault;
    let file = crate::config::parse(
        "[repos]\n[[repos.pypi]]\nname = \"corp\"\ndomain = \"d\"\ndomain_owner = \"111122223333\"\nrepository = \"r\"\n[[repos.npm]]\nname = \"js\"\ndomain = \"d\"\ndomain_owner = \"111122223333\"\nrepository = \"r\"\n",
        &source,
    )
    .unwrap();
    assert_eq!(
        commands(file.repos.as_ref().unwrap()),
        [
            "awsproxy setup pip --mount corp",
            "awsproxy setup uv --mount corp",
            "awsproxy setup npm --mount js",
        ]
    );
}
