using Ops.Host;
using Ops.Host.Cli;

// A verb (or --help/--version) anywhere runs the admin CLI, so global options may come first ('--as bob log tail');
// no verb (no arguments, or options only such as --urls) starts the worker.
return AdminCli.IsCliInvocation(args)
    ? await AdminCli.RunAsync(args, Console.Out, Console.Error)
    : await Worker.RunAsync(args);
