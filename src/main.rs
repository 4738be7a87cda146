//! Thin binary: parse the command line, call the library, map errors to exit
//! codes (0 success, 1 a threshold or comparison failed, 2 bad input).

fn main() {
    std::process::exit(routesim::cli::main());
}
