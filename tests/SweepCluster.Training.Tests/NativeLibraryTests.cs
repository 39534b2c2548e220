using TorchSharp;
using static TorchSharp.torch;

namespace SweepCluster.Training.Tests;

public class NativeLibraryTests
{
    [Fact]
    public void Libtorch_loads_and_computes_a_matmul_and_a_gradient()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3, 4 }, 2, 2);
        var product = a.matmul(a);
        Assert.Equal(new float[] { 7, 10, 15, 22 }, product.data<float>().ToArray());

        var x = tensor(new float[] { 3 }, requires_grad: true);
        (x * x).sum().backward();
        Assert.Equal(6f, x.grad!.item<float>());
    }
}
