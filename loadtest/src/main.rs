use clap::Parser;
use emc_loadtest::cli::{Cli, Command};
use emc_loadtest::{baseline, bench, bench_reports, demo, run, seed};
use std::process::ExitCode;

fn runtime(threads: Option<usize>) -> std::io::Result<tokio::runtime::Runtime> {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = threads {
        b.worker_threads(n.max(1));
    }
    b.enable_all().build()
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,emc_loadtest=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Some(Command::BaselineServer(a)) => runtime(a.threads)
            .map_err(Into::into)
            .and_then(|rt| rt.block_on(baseline::serve(&a.addr)))
            .map(|()| true),
        Some(Command::Seed(a)) => runtime(None)
            .map_err(Into::into)
            .and_then(|rt| rt.block_on(seed::main(&a))),
        Some(Command::Bench(a)) => runtime(a.threads)
            .map_err(Into::into)
            .and_then(|rt| rt.block_on(bench::main(&a))),
        Some(Command::BenchReports(a)) => runtime(None)
            .map_err(Into::into)
            .and_then(|rt| rt.block_on(bench_reports::main(&a))),
        Some(Command::Demo(a)) => runtime(None)
            .map_err(Into::into)
            .and_then(|rt| rt.block_on(demo::main(&a))),
        None => runtime(cli.run.threads)
            .map_err(Into::into)
            .and_then(|rt| rt.block_on(run_main(&cli.run))),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("emc-loadtest: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Runs the load, prints the table, writes the JSON; false when anything was lost or wrong.
async fn run_main(args: &emc_loadtest::cli::RunArgs) -> anyhow::Result<bool> {
    let report = run::execute(args).await?;
    print!("{}", report.table());
    emc_loadtest::report::write_json(&args.json_out, &report)?;
    Ok(report.ok())
}
