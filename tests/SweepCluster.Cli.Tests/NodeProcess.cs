using System.Collections.Concurrent;
using System.Diagnostics;

namespace SweepCluster.Cli.Tests;

/// <summary>A real `sweep node` process on loopback, with its output kept for the test to read.</summary>
public sealed class NodeProcess : IDisposable
{
    readonly Process _process;
    readonly ConcurrentQueue<string> _lines = new();

    NodeProcess(Process process, string hostname, int port)
    {
        _process = process;
        Hostname = hostname;
        Port = port;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Hostname { get; }
    public int Port { get; }
    public string Address => $"akka.tcp://sweep@{Hostname}:{Port}";
    public IReadOnlyCollection<string> Lines => _lines;
    public bool HasExited => _process.HasExited;

    /// <param name="database">A SQLite file; its folder is the node's working folder (extra settings may name another database).</param>
    /// <param name="networkNamespace">Runs the node in this network namespace (ip netns), standing in for another host.</param>
    /// <param name="options">Command-line options of <c>sweep node</c>, such as <c>--devices</c>.</param>
    public static NodeProcess Start(int port, string roles, string seedNodes, string database, IDictionary<string, string>? extra = null,
        string hostname = "127.0.0.1", string? networkNamespace = null, IReadOnlyList<string>? options = null)
    {
        var start = new ProcessStartInfo(networkNamespace is null ? "dotnet" : "ip")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(database)!,
        };
        if (networkNamespace is not null)
            foreach (var arg in new[] { "netns", "exec", networkNamespace, "dotnet" }) start.ArgumentList.Add(arg);
        start.ArgumentList.Add(Sweep.ProgramPath);
        start.ArgumentList.Add("node");
        foreach (var option in options ?? []) start.ArgumentList.Add(option);
        start.Environment["SWEEP_ROLES"] = roles;
        start.Environment["SWEEP_PORT"] = port.ToString();
        start.Environment["SWEEP_HOSTNAME"] = hostname;
        start.Environment["SWEEP_SEED_NODES"] = seedNodes;
        start.Environment["SWEEP_DATABASE_CONNECTION"] = database;
        start.Environment["SWEEP_DEVICES"] = "cpu:1";
        start.Environment["SWEEP_DOWN_AFTER_SECONDS"] = "2";
        start.Environment["SWEEP_LEASE_SECONDS"] = "20";
        foreach (var (key, value) in extra ?? new Dictionary<string, string>()) start.Environment[key] = value;
        return new NodeProcess(Process.Start(start)!, hostname, port);
    }

    /// <summary>Waits until the node printed its start-up line.</summary>
    public async Task WaitUntilUp()
    {
        for (var i = 0; i < 600 && !_lines.Any(l => l.Contains(" up: roles")); i++)
        {
            if (_process.HasExited) throw new InvalidOperationException("node exited:\n" + string.Join('\n', _lines));
            await Task.Delay(100);
        }
        if (!_lines.Any(l => l.Contains(" up: roles"))) throw new TimeoutException("node did not start:\n" + string.Join('\n', _lines));
    }

    /// <summary>Trial ids (their first 12 characters) this node started running, one entry per run.</summary>
    public IEnumerable<string> TrialsRun() => _lines
        .Where(l => l.Contains("Running trial "))
        .Select(l => l[(l.IndexOf("Running trial ", StringComparison.Ordinal) + "Running trial ".Length)..].Split(' ')[0]);

    /// <summary>SIGTERM, as Kubernetes sends before it stops a pod.</summary>
    public void Terminate() => Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();

    public Task WaitForExit(TimeSpan timeout) => _process.WaitForExitAsync(new CancellationTokenSource(timeout).Token);

    /// <summary>The exit code, once the process has exited.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>SIGSTOP: the process stops answering without closing a connection, as a host cut off or stalled; <see cref="Thaw"/> resumes it.</summary>
    public void Freeze() => Process.Start("kill", ["-STOP", _process.Id.ToString()])!.WaitForExit();

    /// <summary>SIGCONT after <see cref="Freeze"/>.</summary>
    public void Thaw() => Process.Start("kill", ["-CONT", _process.Id.ToString()])!.WaitForExit();

    /// <summary>SIGKILL: the process dies at once, as on a preempted machine.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.WaitForExit(10_000);
        _process.Dispose();
    }
}
