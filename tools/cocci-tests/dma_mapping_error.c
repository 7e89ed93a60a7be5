/* Fixture for scripts/coccinelle/api/dma_mapping_error.cocci: what it must report is in dma_mapping_error.report; functions b, d, g, h, i, k_init, n, o_map and o and the checked maps of j must not be reported; l passes its address to a function that checks only its own, and q_map stores it in a field that its caller q never checks. */
static int a(struct device *dev, void *buf, size_t len)
{
	dma_addr_t addr = dma_map_single(dev, buf, len, DMA_TO_DEVICE);

	writel(addr, reg);
	return 0;
}
static int b(struct device *dev, void *buf, size_t len)
{
	dma_addr_t addr;

	addr = dma_map_single(dev, buf, len, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, addr))
		return -ENOMEM;
	return 0;
}
static int c(struct device *dev, struct foo *f, size_t len)
{
	f->addr = dma_map_page(dev, f->page, 0, len, DMA_TO_DEVICE);
	return 0;
}
static dma_addr_t d(struct device *dev, struct foo *f, size_t len)
{
	dma_addr_t x;
	x = dma_map_page(dev, f->page, 0, len, DMA_TO_DEVICE);
	return x;
}
static void e(struct device *dev, struct foo *f, size_t len)
{
	writel(dma_map_single(dev, f->buf, len, DMA_TO_DEVICE), reg);
}
static int g(struct device *dev, struct foo *f, size_t len)
{
	f->addr = dma_map_page(dev, f->page, 0, len, DMA_TO_DEVICE);
	if (f->addr == DMA_MAPPING_ERROR)
		return -1;
	return 0;
}
static int h(struct device *dev, struct foo *f, size_t len)
{
	dma_addr_t addr = dma_map_single(dev, f->buf, len, DMA_TO_DEVICE);
	int ret = dma_mapping_error(dev, addr);
	return ret;
}
static int i(struct device *dev, struct foo *f, size_t len)
{
	if (dma_mapping_error(dev, dma_map_single(dev, f->buf, len, DMA_TO_DEVICE)))
		return 1;
	return 0;
}
static int j(struct device *dev, struct foo *f, size_t len)
{
	u64 t = dma_map_single(dev, f->buf, len, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, (dma_addr_t)t))
		return 1;
	*(dma_addr_t *)f->cb = dma_map_single(dev, f->buf, len, DMA_TO_DEVICE);
	t = *(dma_addr_t *)f->cb;
	if (dma_mapping_error(dev, t))
		return 1;
	f->x = (u64)dma_map_single(dev, f->buf, len, DMA_TO_DEVICE);
	if (b43_dma_mapping_error(ring, f->x, len))
		return 1;
	f->y = (u64)dma_map_single(dev, f->buf, len, DMA_TO_DEVICE);
	return 0;
}
static int k_init(struct device *dev, struct foo *f, size_t len)
{
	dma_addr_t a2 = dma_map_single(dev, f->buf, len, DMA_TO_DEVICE);

	if (dma_mapping_error(dev, a2))
		return 1;
	return 0;
}
static int l(struct device *dev, struct foo *f, size_t len)
{
	dma_addr_t a3 = dma_map_single(dev, f->buf, len, DMA_TO_DEVICE);

	k_init(dev, f, a3);
	return 0;
}
static bool my_check(struct device *dev, dma_addr_t a)
{
	return dma_mapping_error(dev, a);
}
static int n(struct device *dev, struct foo *f, size_t len)
{
	dma_addr_t a4 = dma_map_single(dev, f->buf, len, DMA_TO_DEVICE);

	if (my_check(dev, a4))
		return 1;
	return 0;
}
static void o_map(struct device *dev, struct foo *f, size_t len)
{
	f->hdma = dma_map_single(dev, f->buf, len, DMA_TO_DEVICE);
}
static int o(struct device *dev, struct foo *f, size_t len)
{
	o_map(dev, f, len);
	if (dma_mapping_error(dev, f->hdma))
		return 1;
	return 0;
}
static void q_map(struct device *dev, struct foo *f, size_t len)
{
	f->qdma = dma_map_single(dev, f->buf, len, DMA_TO_DEVICE);
}
static int q(struct device *dev, struct foo *f, size_t len)
{
	q_map(dev, f, len);
	writel(f->qdma, reg);
	return 0;
}
