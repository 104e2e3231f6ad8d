//! `cargo xtask doctor`: the protection layers around learner code on this
//! machine, each on or off, and why.

use crate::engine::sandbox::Sandbox;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Every hidden test process (check, verify, grade) runs inside these layers. A layer this machine \
cannot give is off, and the rest still apply; grade records the same list in report.json \
(run.sandbox). Exit status: 0.")]
pub struct Args {
    /// Print the layers as one JSON object: name to {on, note}.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let layers = Sandbox::here().layers();
    if args.json {
        let map: serde_json::Map<String, serde_json::Value> =
            layers.iter().map(|l| (l.name.to_string(), serde_json::json!({ "on": l.on, "note": l.note }))).collect();
        println!("{}", serde_json::Value::Object(map));
        return Ok(crate::exit::OK);
    }
    let width = layers.iter().map(|l| l.name.len()).max().unwrap_or(0);
    for l in &layers {
        println!("{:<width$}  {:<3}  {}", l.name, if l.on { "on" } else { "off" }, l.note);
    }
    let off = layers.iter().filter(|l| !l.on).count();
    println!(
        "{} of {} layers on{}",
        layers.len() - off,
        layers.len(),
        if off > 0 { "; the others are off here" } else { "" }
    );
    match crate::engine::stacks::gdb() {
        Some(gdb) => println!("stacks of stuck tests: taken with {}", gdb.display()),
        None => println!("stacks of stuck tests: not taken (install gdb to see where a stuck test's threads were)"),
    }
    Ok(crate::exit::OK)
}
