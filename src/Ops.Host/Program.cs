using Ops.Host;
using Ops.Host.Cli;

// No arguments start the worker (README's first command); anything else is the admin CLI, whose 'run' starts the worker
// with ASP.NET Core's own options ('run --urls ...'). An unknown verb or option is a usage error, never a worker start.
return args.Length == 0
    ? await Worker.RunAsync(args)
    : await AdminCli.RunAsync(args, Console.Out, Console.Error);
