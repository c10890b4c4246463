using Ops.Host;
using Ops.Host.Cli;

// No command, or options only (e.g. --urls), starts the worker; a verb runs the admin CLI.
if (args.Length == 0 || (args[0].StartsWith('-') && args[0] is not ("--help" or "-h" or "-?" or "--version")))
{
    return await Worker.RunAsync(args);
}

return await AdminCli.RunAsync(args, Console.Out, Console.Error);
