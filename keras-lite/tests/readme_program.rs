//! The program of the README's "Using keras-lite from another project" (a `src/main.rs` of a
//! project outside the workspace), kept in `tests/readme/program.rs`: it must stay the
//! README's text, compile against keras-lite's public API, and run.

mod program {
    include!("readme/program.rs");

    #[test]
    fn the_readme_program_runs() {
        keras_lite::backend::set_random_seed(0);
        main().unwrap();
    }
}

#[test]
fn the_readme_program_is_this_file() {
    let readme = include_str!("../../README.md");
    let start = readme
        .find("// src/main.rs\n")
        .expect("the README shows src/main.rs")
        + "// src/main.rs\n".len();
    let len = readme[start..].find("```").expect("the code block ends");
    assert_eq!(
        &readme[start..start + len],
        include_str!("readme/program.rs")
    );
}
