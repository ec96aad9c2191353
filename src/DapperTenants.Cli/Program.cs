using DapperTenants.Cli;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C asks the command to stop and clean up (drop the demo database, stop the cluster);
    // a second one ends the process at once.
    if (!cancel.IsCancellationRequested)
    {
        e.Cancel = true;
        cancel.Cancel();
    }
};

return await CliApp.RunAsync(args, Console.Out, Console.Error, Console.IsInputRedirected ? null : Console.In, cancel.Token).ConfigureAwait(false);
