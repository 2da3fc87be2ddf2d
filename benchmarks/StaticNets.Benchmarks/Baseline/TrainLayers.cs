using System.Numerics.Tensors;

namespace StaticNets.Benchmarks.Baseline;

/// <summary>A layer of the dynamic training baseline: forward keeps what backward needs.</summary>
public abstract class TrainLayer
{
    public abstract int OutputSize { get; }
    public virtual IEnumerable<(float[] Values, float[] Gradients)> Parameters => [];
    public abstract void Forward(ReadOnlySpan<float> x, Span<float> y, int batch);
    public abstract void Backward(ReadOnlySpan<float> dy, Span<float> dx, int batch, bool needInputGradient);
}

public sealed class DenseTrain(float[] weights, float[] bias, int inSize, int outSize, int maxBatch) : TrainLayer
{
    private readonly float[] _x = new float[maxBatch * inSize], _dw = new float[weights.Length], _db = new float[bias.Length];
    public override int OutputSize => outSize;
    public override IEnumerable<(float[], float[])> Parameters => [(weights, _dw), (bias, _db)];

    public override void Forward(ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        x.CopyTo(_x);
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<float> row = x.Slice(r * inSize, inSize);
            for (int o = 0; o < outSize; o++)
                y[r * outSize + o] = TensorPrimitives.Dot(row, weights.AsSpan(o * inSize, inSize)) + bias[o];
        }
    }

    public override void Backward(ReadOnlySpan<float> dy, Span<float> dx, int batch, bool needInputGradient)
    {
        Array.Clear(_dw);
        Array.Clear(_db);
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<float> x = _x.AsSpan(r * inSize, inSize), g = dy.Slice(r * outSize, outSize);
            TensorPrimitives.Add(_db, g, _db);
            for (int o = 0; o < outSize; o++)
            {
                Span<float> dwRow = _dw.AsSpan(o * inSize, inSize);
                TensorPrimitives.MultiplyAdd(x, g[o], dwRow, dwRow);
            }
            if (!needInputGradient) continue;
            Span<float> dxRow = dx.Slice(r * inSize, inSize);
            dxRow.Clear();
            for (int o = 0; o < outSize; o++)
                TensorPrimitives.MultiplyAdd(weights.AsSpan(o * inSize, inSize), g[o], dxRow, dxRow);
        }
    }
}

public sealed class ReluTrain(int size, int maxBatch) : TrainLayer
{
    private readonly float[] _x = new float[maxBatch * size];
    public override int OutputSize => size;

    public override void Forward(ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        x.CopyTo(_x);
        TensorPrimitives.Max(x, 0f, y);
    }

    public override void Backward(ReadOnlySpan<float> dy, Span<float> dx, int batch, bool needInputGradient)
    {
        for (int i = 0; i < dy.Length; i++) dx[i] = _x[i] > 0f ? dy[i] : 0f;
    }
}

public sealed class DropoutTrain(int size, float rate, int maxBatch) : TrainLayer
{
    private readonly float[] _mask = new float[maxBatch * size];
    private readonly Random _random = new(1);
    public override int OutputSize => size;

    public override void Forward(ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        Span<float> mask = _mask.AsSpan(0, x.Length);
        float scale = 1f / (1f - rate);
        for (int i = 0; i < mask.Length; i++) mask[i] = _random.NextSingle() >= rate ? scale : 0f;
        TensorPrimitives.Multiply(x, mask, y);
    }

    public override void Backward(ReadOnlySpan<float> dy, Span<float> dx, int batch, bool needInputGradient) =>
        TensorPrimitives.Multiply(dy, _mask.AsSpan(0, dy.Length), dx);
}

/// <summary>Training-mode BatchNorm with the textbook formulas, feature by feature over the batch.</summary>
public sealed class BatchNormTrain(float[] gamma, float[] beta, int maxBatch) : TrainLayer
{
    private const float Epsilon = 1e-5f, Momentum = 0.1f;
    private readonly int _n = gamma.Length;
    private readonly float[] _xhat = new float[maxBatch * gamma.Length], _invStd = new float[gamma.Length];
    private readonly float[] _runningMean = new float[gamma.Length], _runningVariance = Enumerable.Repeat(1f, gamma.Length).ToArray();
    private readonly float[] _dGamma = new float[gamma.Length], _dBeta = new float[gamma.Length];
    public override int OutputSize => _n;
    public override IEnumerable<(float[], float[])> Parameters => [(gamma, _dGamma), (beta, _dBeta)];

    public override void Forward(ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        for (int j = 0; j < _n; j++)
        {
            float mean = 0, variance = 0;
            for (int r = 0; r < batch; r++) mean += x[r * _n + j];
            mean /= batch;
            for (int r = 0; r < batch; r++) { float d = x[r * _n + j] - mean; variance += d * d; }
            _runningMean[j] = (1 - Momentum) * _runningMean[j] + Momentum * mean;
            _runningVariance[j] = (1 - Momentum) * _runningVariance[j] + Momentum * variance / (batch - 1);
            variance /= batch;
            float inv = 1f / MathF.Sqrt(variance + Epsilon);
            _invStd[j] = inv;
            for (int r = 0; r < batch; r++)
            {
                int i = r * _n + j;
                _xhat[i] = (x[i] - mean) * inv;
                y[i] = gamma[j] * _xhat[i] + beta[j];
            }
        }
    }

    public override void Backward(ReadOnlySpan<float> dy, Span<float> dx, int batch, bool needInputGradient)
    {
        for (int j = 0; j < _n; j++)
        {
            float sumDy = 0, sumDyXhat = 0;
            for (int r = 0; r < batch; r++) { int i = r * _n + j; sumDy += dy[i]; sumDyXhat += dy[i] * _xhat[i]; }
            _dGamma[j] = sumDyXhat;
            _dBeta[j] = sumDy;
            float scale = gamma[j] * _invStd[j] / batch;
            for (int r = 0; r < batch; r++) { int i = r * _n + j; dx[i] = scale * (batch * dy[i] - sumDy - _xhat[i] * sumDyXhat); }
        }
    }
}

/// <summary>Adam as TensorPrimitives passes over each parameter array.</summary>
public sealed class DynamicAdam(List<(float[] Values, float[] Gradients)> parameters, float learningRate)
{
    private const float Beta1 = 0.9f, Beta2 = 0.999f, Epsilon = 1e-8f;
    private readonly float[][] _m = parameters.Select(p => new float[p.Values.Length]).ToArray();
    private readonly float[][] _v = parameters.Select(p => new float[p.Values.Length]).ToArray();
    private readonly float[][] _scratch = parameters.Select(p => new float[p.Values.Length]).ToArray();
    private int _t;

    public void Step()
    {
        _t++;
        float c1 = 1f / (1f - MathF.Pow(Beta1, _t)), c2 = 1f / (1f - MathF.Pow(Beta2, _t));
        for (int k = 0; k < parameters.Count; k++)
        {
            (float[] w, float[] g) = parameters[k];
            float[] m = _m[k], v = _v[k], s = _scratch[k];
            TensorPrimitives.Multiply(m, Beta1, m);
            TensorPrimitives.MultiplyAdd(g, 1f - Beta1, m, m);
            TensorPrimitives.Multiply(v, Beta2, v);
            TensorPrimitives.Multiply(g, g, s);
            TensorPrimitives.MultiplyAdd(s, 1f - Beta2, v, v);
            TensorPrimitives.Multiply(v, c2, s);
            TensorPrimitives.Sqrt(s, s);
            TensorPrimitives.Add(s, Epsilon, s);
            TensorPrimitives.Divide(m, s, s);
            TensorPrimitives.MultiplyAdd(s, -learningRate * c1, w, w);
        }
    }
}
