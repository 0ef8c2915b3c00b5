// The runtime allocates per delivery on several threads at once; with glibc's allocator
// a third of the pipeline's CPU went to malloc/free and its arena locks
// (docs/benchmarks.md, "Runtime pipeline").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(rulec::cli::main());
}
