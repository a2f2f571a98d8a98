using AlignStream.Platform.Tests.Fixtures;

namespace AlignStream.EndToEnd.Tests;

/// <summary>The Kubernetes manifests keep the production rules of STYLE.md: limits, probes, non-root, read-only root.</summary>
public sealed class InfraManifestTests
{
    private static string K8s => Path.Combine(RepoPaths.Root, "infra", "k8s");

    [Theory]
    [InlineData("generator")]
    [InlineData("scorer")]
    [InlineData("trainer")]
    public void Every_deployment_has_limits_probes_and_a_locked_down_container(string stage)
    {
        var yaml = File.ReadAllText(Path.Combine(K8s, "base", stage + ".yaml"));
        foreach (var required in new[]
        {
            "kind: Deployment", "requests:", "limits:", "readinessProbe:", "path: /readyz", "livenessProbe:", "path: /healthz",
            "runAsNonRoot: true", "readOnlyRootFilesystem: true", "allowPrivilegeEscalation: false", "prometheus.io/scrape: \"true\"",
        })
        {
            Assert.True(yaml.Contains(required, StringComparison.Ordinal), $"{stage}.yaml lacks `{required}`");
        }
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void Overlays_render_with_kustomize(string overlay)
    {
        // kubectl (with kustomize) ships on this project's machine image; Debian's kubernetes-client conflicts with it.
        var (code, output) = ServerProcess.RunToEnd("kubectl", ["kustomize", Path.Combine(K8s, "overlays", overlay)], TimeSpan.FromSeconds(60));
        Assert.True(code == 0, output);
        Assert.Equal(3, output.Split('\n').Count(l => l == "kind: Deployment"));
        Assert.Contains("name: align-trainer", output, StringComparison.Ordinal);
        if (overlay == "prod")
        {
            Assert.Contains("SASL_SSL", output, StringComparison.Ordinal);
            Assert.Contains("nvidia.com/gpu", output, StringComparison.Ordinal);
        }
    }
}
