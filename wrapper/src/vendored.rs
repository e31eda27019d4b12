//! The check, shared by the signature and webhook vector tests, that a copy vendored in
//! `tests/data/` is the project's shared file (`../shared/vectors/`), so that every shared vector
//! is reproduced.

/// Asserts that `vendored` is the text of `../shared/vectors/{name}`. On CI (`CI` set) a missing
/// shared file fails; elsewhere (a clone outside the project's workplace, with no `shared/` beside
/// it) the check is skipped with a message.
pub(crate) fn assert_matches_shared(name: &str, vendored: &str) {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/vectors")
        .join(name);
    match std::fs::read_to_string(&shared) {
        Ok(text) => assert_eq!(
            text,
            vendored,
            "refresh wrapper/tests/data/{name} from {}",
            shared.display()
        ),
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("CI is set and {} is not readable: {e}", shared.display())
        }
        Err(e) => eprintln!("skipped: {} not readable: {e}", shared.display()),
    }
}
