//! `certify steps`: the vocabulary, from the same registry the runner uses.

use crate::{
    cli::StepsArgs,
    exit::{CmdResult, Exit},
    output::{Format, Printer},
};

pub fn steps(args: &StepsArgs, printer: &Printer) -> CmdResult {
    let vocab = certify_steps::vocabulary();
    match args.format {
        Format::Json => {
            let list: Vec<serde_json::Value> = vocab
                .iter()
                .map(|d| {
                    serde_json::json!({
                        "id": d.id,
                        "pattern": d.pattern,
                        "example": d.example,
                        "example_argument": d.example_arg,
                        "doc_string": d.doc_string,
                        "data_table": d.data_table,
                        "help": d.help,
                    })
                })
                .collect();
            printer.json(&serde_json::Value::Array(list));
        }
        Format::Text => {
            for d in vocab {
                let arg = match (d.doc_string, d.data_table) {
                    (true, _) => "  (+ doc string)",
                    (_, true) => "  (+ data table)",
                    _ => "",
                };
                printer.data(format!("{}{arg}", d.pattern));
                printer.data(format!("    {}", d.help));
                printer.data(format!("    e.g. Given {}", d.example));
                for line in d.example_arg.unwrap_or_default().lines() {
                    printer.data(format!("           {line}"));
                }
                printer.data("");
            }
            printer.data(format!(
                "{} step patterns; each matches with any keyword (Given, When, Then, And, But).",
                vocab.len()
            ));
        }
    }
    Ok(Exit::Success)
}
