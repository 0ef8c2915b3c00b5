fn main() {
    std::process::exit(rulec::cli::main());
}
