using AlignStream.Cli.Hosting;

namespace AlignStream.EndToEnd.Tests;

/// <summary>Which verbs get the service hosts' thread-pool setting, and that an explicit setting is left alone.</summary>
public sealed class ServiceRuntimeTests
{
    [Theory]
    [InlineData(new[] { "run", "scorer" }, true)]
    [InlineData(new[] { "up" }, true)]
    [InlineData(new[] { "broker" }, true)]
    [InlineData(new[] { "bench", "loop", "--json" }, true)]
    [InlineData(new[] { "bench", "engine" }, false)]
    [InlineData(new[] { "bench" }, false)]
    [InlineData(new[] { "sample", "--threads", "2" }, false)]
    [InlineData(new string[0], false)]
    public void Only_service_hosts_let_idle_pool_workers_sleep_at_once(string[] args, bool expected) =>
        Assert.Equal(expected, ServiceRuntime.HostsServices(args));

    [Fact]
    public void Apply_sets_the_spin_limit_for_a_service_host_once_and_never_for_engine_verbs()
    {
        Assert.False(ServiceRuntime.Apply(["bench", "engine"]));
        if (Environment.GetEnvironmentVariable(ServiceRuntime.SpinLimitVariable) is not null)
        {
            // The variable wins over anything the process would set.
            Assert.False(ServiceRuntime.Apply(["run", "trainer"]));
            return;
        }
        ServiceRuntime.Apply(["run", "trainer"]);
        Assert.Equal(0, Convert.ToInt32(AppContext.GetData(ServiceRuntime.SpinLimitProperty), System.Globalization.CultureInfo.InvariantCulture));
        // Set now (by this call or an earlier one in this process): a second call leaves the value as it is.
        Assert.False(ServiceRuntime.Apply(["run", "trainer"]));
    }
}
