// Mono.Cecil's object model is not thread-safe and the tests share loaded assemblies; they are few and fast.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
