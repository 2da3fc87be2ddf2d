// Fashion-MNIST end to end: find the data, standardize, train an MLP with BatchNorm, dropout, Adam, a
// cosine schedule and early stopping, then evaluate on the 10,000 test images and save the results.
using FashionMnist;

Options options;
try
{
    options = Options.Parse(args);
}
catch (OptionsException e)
{
    if (!e.HelpOnly) Console.Error.WriteLine("error: " + e.Message + "\n");
    (e.HelpOnly ? Console.Out : Console.Error).WriteLine(Options.Usage);
    return e.HelpOnly ? 0 : 2;
}

try
{
    options.CheckOutputWritable();
    string? folder = DataLocator.Find(options.DataFolder, Environment.GetEnvironmentVariable);
    if (folder is null)
    {
        bool ask = !options.Download && !Console.IsInputRedirected && !Console.IsOutputRedirected;
        if (ask)
        {
            Console.Write($"Fashion-MNIST was not found. Download it (30 MB) from {DataLocator.Mirror} into {DataLocator.CacheFolder}? [y/N] ");
            ask = Console.ReadLine()?.Trim().ToLowerInvariant() is "y" or "yes";
        }
        if (!options.Download && !ask)
        {
            Console.Error.WriteLine(DataLocator.HowToGetIt);
            return 1;
        }
        folder = await DataLocator.DownloadAsync(Console.Out, CancellationToken.None);
    }
    using var cancel = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
    TrainingRun.Run(options, folder, Console.Out, cancel.Token);
    return 0;
}
catch (OptionsException e)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 2;
}
catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or OperationCanceledException)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 1;
}
