using System.ComponentModel.DataAnnotations;

namespace AlignStream.Platform.Weights;

/// <summary>Where published weights live and how manifests are signed (section <c>Weights</c>).</summary>
public sealed class WeightsOptions
{
    public const string SectionName = "Weights";

    /// <summary>Directory of the weight store (a shared volume in Kubernetes).</summary>
    [Required(ErrorMessage = "set the weight store directory, e.g. /weights/store")]
    public string Store { get; set; } = "";

    /// <summary>
    /// HMAC key shared by the trainer (signs) and the generators and scorers (verify). At least 16 characters.
    /// </summary>
    [Required(ErrorMessage = "set a shared HMAC key of at least 16 characters")]
    [MinLength(16, ErrorMessage = "must be at least 16 characters long")]
    public string SigningKey { get; set; } = "";

    /// <summary>
    /// Versions the trainer keeps in the store, newest published first; older ones are deleted after each publication,
    /// except the ones the current policy and reference manifests point at. 0 keeps every version (the store then
    /// grows by one model file per publication). Retention sees only its own trainer's manifests: trainers of other
    /// experiments need their own store directory, or 0 here.
    /// </summary>
    [Range(0, int.MaxValue, ErrorMessage = "must be 0 (keep every version) or more")]
    public int KeepVersions { get; set; } = 32;
}
