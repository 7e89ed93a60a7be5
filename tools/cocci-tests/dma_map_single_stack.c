/* Fixture for scripts/coccinelle/api/dma_map_single_stack.cocci: b (static), g (is_vmalloc_addr), h, k2 (kzalloc) and m (a field of the same name in another structure) must not be reported. */
static int a(struct device *dev, size_t len)
{
	u8 buf[16];
	dma_addr_t addr = dma_map_single(dev, buf, sizeof(buf), DMA_TO_DEVICE);
	return 0;
}
static int b(struct device *dev, size_t len)
{
	static u8 buf[16];
	dma_addr_t addr = dma_map_single(dev, buf, sizeof(buf), DMA_TO_DEVICE);
	return 0;
}
static int c(struct device *dev, size_t len)
{
	struct foo f;
	dma_addr_t addr = dma_map_single(dev, &f, sizeof(f), DMA_TO_DEVICE);
	u32 v;
	addr = dma_map_single_attrs(dev, &v, 4, DMA_FROM_DEVICE, 0);
	addr = dma_map_single(dev, &f.x, 4, DMA_FROM_DEVICE);
	return 0;
}
static int d(struct device *dev, size_t len)
{
	void *buf = vmalloc(len);
	dma_addr_t addr = dma_map_single(dev, buf, len, DMA_TO_DEVICE);
	return 0;
}
static int e(struct device *dev, struct foo *f, size_t len)
{
	f->buf = vzalloc(len);
	return 0;
}
static int e2(struct device *dev, struct foo *f, size_t len)
{
	f->addr = dma_map_single(dev, f->buf, len, DMA_TO_DEVICE);
	f->addr = dma_map_single(dev, f->buf + 16, len, DMA_TO_DEVICE);
	return 0;
}
static int g(struct device *dev, struct foo *f, size_t len)
{
	void *buf = kvmalloc(len, GFP_KERNEL);
	if (is_vmalloc_addr(buf))
		return -EINVAL;
	f->addr = dma_map_single(dev, buf, len, DMA_TO_DEVICE);
	return 0;
}
static int h(struct device *dev, u8 *p, size_t len)
{
	u8 buf[16];
	u8 *q = kmalloc(16, GFP_KERNEL);
	dma_addr_t addr = dma_map_single(dev, q, sizeof(buf), DMA_TO_DEVICE);
	addr = dma_map_single(dev, p, sizeof(buf), DMA_TO_DEVICE);
	return 0;
}
static int k(struct device *dev, struct foo *f, size_t len)
{
	f->other = vzalloc(len);
	return 0;
}
static int k2(struct device *dev, struct foo *f, size_t len)
{
	f->other = kzalloc(len, GFP_KERNEL);
	f->addr = dma_map_single(dev, f->other, len, DMA_TO_DEVICE);
	return 0;
}
static int m(struct device *dev, struct bar *b, size_t len)
{
	b->addr = dma_map_single(dev, b->buf, len, DMA_TO_DEVICE);
	return 0;
}
